import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MessageView, PalaverClient, RoomTimeline } from '@palaver/client';
import { collect, nextEvent, rejectsWith, settle } from './realtime-helpers';
import { startTestServer, TestServer, TestUserClient, waitFor, registerMembers } from './utils';

async function serverHistory(client: PalaverClient, roomId: string): Promise<MessageView[]> {
  const page = await client.socket.history({ roomId, limit: 100 });
  assert.equal(page.nextBefore, null, 'the room fits one history page');
  return page.messages.reverse();
}

describe('conversations: reactions, mentions and read state', () => {
  let server: TestServer;
  let alice: TestUserClient;
  let bob: TestUserClient;
  let carol: TestUserClient;
  /** Not a member of the rooms below. */
  let dave: TestUserClient;
  /** Alice's second device. */
  let alice2: PalaverClient;

  before(async () => {
    server = await startTestServer();
    [alice, bob, carol, dave] = await registerMembers(server, 4);
    alice2 = new PalaverClient(server.url);
    await alice2.login(alice.user.username, alice.password);
    await Promise.all([alice, bob, carol, dave, alice2].map((c) => c.socket.connect()));
  });
  after(async () => {
    for (const c of [alice, bob, carol, dave, alice2]) c?.socket.disconnect();
    await server?.close();
  });

  async function room(name: string): Promise<string> {
    const id = (await bob.socket.createRoom({ name, kind: 'public' })).id;
    await alice.socket.joinRoom(id);
    await carol.socket.joinRoom(id);
    return id;
  }

  it('a reaction reaches every member of the room once, with counts and who reacted, and no one else', async () => {
    const roomId = await room('reactions');
    const { id } = await bob.socket.send(roomId, 'react to me');
    const seen = [alice, bob, carol, dave].map((c) => collect(c, 'message.updated'));
    const view = await alice.socket.request('reaction:add', { messageId: id, emoji: '👍' });
    assert.deepEqual(view.reactions, [{ emoji: '👍', count: 1, userIds: [alice.user.id] }]);
    const again = await alice.socket.request('reaction:add', { messageId: id, emoji: '👍' });
    assert.equal(again.changeSeq, view.changeSeq, 'reacting twice changes nothing');
    await settle(bob, roomId, [alice, bob, carol]);
    for (const [i, events] of seen.slice(0, 3).entries()) {
      assert.deepEqual(
        events.map((m) => m.changeSeq),
        [view.changeSeq],
        `member ${i} got the change exactly once`,
      );
    }
    assert.equal(seen[3].length, 0, 'a non-member hears nothing');

    const removed = await alice.socket.request('reaction:remove', { messageId: id, emoji: '👍' });
    assert.equal(removed.reactions, undefined);
    assert.ok(removed.changeSeq > view.changeSeq);
    await rejectsWith(dave.socket.request('reaction:add', { messageId: id, emoji: '👍' }), {
      code: 'forbidden',
    });
    await rejectsWith(alice.socket.request('reaction:add', { messageId: id, emoji: 'a.b' }), {
      code: 'validation_failed',
      field: 'emoji',
    });
  });

  it('concurrent reactions are all kept, each with its own changeSeq, and catch-up replays them', async () => {
    const roomId = await room('reaction-race');
    const { id } = await bob.socket.send(roomId, 'popular');
    const timeline = new RoomTimeline(carol.socket).start();
    timeline.track(roomId);
    await waitFor(() => timeline.messages(roomId).length === 1 && !timeline.isSyncing, 5000, 'first replay');
    carol.socket.disconnect();
    const results = await Promise.all([
      alice.socket.request('reaction:add', { messageId: id, emoji: '🎉' }),
      bob.socket.request('reaction:add', { messageId: id, emoji: '🎉' }),
      alice2.socket.request('reaction:add', { messageId: id, emoji: '❤️' }),
      bob.socket.request('reaction:add', { messageId: id, emoji: '❤️' }),
    ]);
    assert.equal(new Set(results.map((r) => r.changeSeq)).size, 4, 'every change has its own changeSeq');
    await carol.socket.connect();
    await waitFor(
      () => (timeline.messages(roomId)[0]?.reactions?.length ?? 0) === 2 && !timeline.isSyncing,
      5000,
      'the replay of the reactions',
    );
    const [stored] = await serverHistory(bob, roomId);
    const counts = Object.fromEntries((stored.reactions ?? []).map((r) => [r.emoji, r.count]));
    assert.deepEqual(counts, { '🎉': 2, '❤️': 2 });
    assert.deepEqual(timeline.messages(roomId), [stored]);
    timeline.stop();
  });

  it('an edit and a deletion sent while others react are stored, and the reactions around them are kept', async () => {
    const roomId = await room('edit-race');
    const { id } = await bob.socket.send(roomId, 'draft');
    const emoji = ['👍', '🎉', '❤️', '🚀', '👀', '🙏'];
    const [edited] = await Promise.all([
      bob.socket.edit(id, 'final'),
      ...emoji.map((e, i) =>
        (i % 2 ? alice : carol).socket.request('reaction:add', { messageId: id, emoji: e }),
      ),
    ]);
    assert.equal(edited.text, 'final');
    let [stored] = await serverHistory(bob, roomId);
    assert.equal(stored.text, 'final');
    assert.equal(stored.reactions?.length, emoji.length);
    assert.ok(stored.changeSeq >= edited.changeSeq);

    const [tomb] = await Promise.all([
      bob.socket.request('message:delete', { messageId: id }),
      ...emoji.map((e, i) =>
        (i % 2 ? alice : carol).socket
          .request('reaction:remove', { messageId: id, emoji: e })
          .catch((err: unknown) => err),
      ),
    ]);
    assert.equal(tomb.deleted, true);
    [stored] = await serverHistory(bob, roomId);
    assert.deepEqual([stored.deleted, stored.text], [true, '']);
  });

  it('a mentioned member gets a notification on every device; @room notifies every member but the author', async () => {
    const roomId = await room('mentions');
    const onAlice = [collect(alice, 'notification'), collect(alice2, 'notification')];
    const onCarol = collect(carol, 'notification');
    const onBob = collect(bob, 'notification');
    const onDave = collect(dave, 'notification');
    const { id } = await bob.socket.send(roomId, `hey @${alice.user.username}, and @${dave.user.username}`);
    await waitFor(() => onAlice.every((e) => e.length === 1), 5000, "alice's notifications");
    assert.deepEqual(
      { ...onAlice[0][0], excerpt: undefined },
      {
        kind: 'mention',
        roomId,
        messageId: id,
        seq: onAlice[0][0].seq,
        authorId: bob.user.id,
        authorUsername: bob.user.username,
        excerpt: undefined,
        roomWide: false,
      },
    );
    await bob.socket.send(roomId, 'news for @room');
    await waitFor(() => onCarol.length === 1 && onAlice[1].length === 2, 5000, '@room notifications');
    assert.equal(onCarol[0].roomWide, true);
    await settle(bob, roomId, [alice, carol]);
    assert.equal(onBob.length, 0, 'the author is not notified');
    assert.equal(onDave.length, 0, 'a non-member is not notified, even when named');
  });

  it('unread and mention counts follow the read marker, which syncs across the member devices', async () => {
    const roomId = await room('unread');
    const acks = [];
    acks.push(await bob.socket.send(roomId, 'one'));
    acks.push(await bob.socket.send(roomId, `two @${alice.user.username}`));
    acks.push(await bob.socket.send(roomId, 'three'));
    acks.push(await bob.socket.send(roomId, 'four, deleted'));
    await bob.socket.delete(acks[3].id);
    await alice.socket.send(roomId, 'my own message is never unread');
    const stateOf = async (c: PalaverClient) =>
      (await c.socket.request('read:states', {})).find((s) => s.roomId === roomId);
    assert.deepEqual(await stateOf(alice), { roomId, lastReadSeq: 0, unread: 3, mentions: 1 });

    const synced = nextEvent(alice2, 'read.updated', (m) => m.roomId === roomId);
    const bobHeard = collect(bob, 'read.updated');
    const marker = await alice.socket.request('read:mark', { roomId, seq: acks[1].seq });
    assert.deepEqual(marker, { roomId, lastReadSeq: acks[1].seq });
    assert.deepEqual(await synced, marker, "alice's other device hears the new marker");
    assert.deepEqual(await stateOf(alice2), { roomId, lastReadSeq: acks[1].seq, unread: 1, mentions: 0 });

    const back = await alice.socket.request('read:mark', { roomId, seq: acks[0].seq });
    assert.equal(back.lastReadSeq, acks[1].seq, 'the marker never moves back');
    // Alice's message is unread for carol.
    assert.deepEqual(await stateOf(carol), { roomId, lastReadSeq: 0, unread: 4, mentions: 0 });
    await settle(bob, roomId, [bob]);
    assert.equal(bobHeard.length, 0, "another member never hears alice's marker");
    await rejectsWith(alice.socket.request('read:mark', { roomId, seq: -1 }), {
      code: 'validation_failed',
      field: 'seq',
    });
  });
});
