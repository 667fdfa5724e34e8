import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { collect, nextEvent, rejectsWith } from './realtime-helpers';
import { registerUser, startTestServer, TestServer, TestUserClient, waitFor, registerMembers } from './utils';

describe('threads', () => {
  let server: TestServer;
  let alice: TestUserClient;
  let bob: TestUserClient;
  let carol: TestUserClient;
  let roomId: string;

  before(async () => {
    server = await startTestServer();
    [alice, bob, carol] = await registerMembers(server, 3);
    await Promise.all([alice, bob, carol].map((c) => c.socket.connect()));
    roomId = (await bob.socket.createRoom({ name: 'threads', kind: 'public' })).id;
    await alice.socket.joinRoom(roomId);
  });
  after(async () => {
    for (const c of [alice, bob, carol]) c?.socket.disconnect();
    await server?.close();
  });

  it('replies carry the root id; the root shows reply count and last reply to the room; the thread pages', async () => {
    const root = await bob.socket.send(roomId, 'root');
    const updates = collect(alice, 'message.updated');
    const replies = [];
    for (let i = 0; i < 3; i += 1) {
      const sender = i % 2 ? alice : bob;
      replies.push(
        await sender.socket.request('message:send', {
          roomId,
          text: `reply ${i}`,
          clientMessageId: `r${i}`,
          threadRootId: root.id,
        }),
      );
    }
    await Promise.all(
      // Concurrent replies: the summary must still count all of them.
      [3, 4, 5].map((i) =>
        alice.socket.request('message:send', {
          roomId,
          text: `reply ${i}`,
          clientMessageId: `r${i}`,
          threadRootId: root.id,
        }),
      ),
    ).then((acks) => replies.push(...acks));
    await waitFor(
      () => updates.some((m) => m.id === root.id && m.thread?.replyCount === 6),
      5000,
      'the summary counting all six replies',
    );
    const page = await carol.socket.request('thread:history', { rootId: root.id, limit: 4 });
    assert.equal(page.root.thread?.replyCount, 6);
    const newest = replies.reduce((a, b) => (b.seq > a.seq ? b : a));
    assert.equal(page.root.thread?.lastReplyId, newest.id);
    assert.deepEqual(
      page.replies.map((r) => r.threadRootId),
      [root.id, root.id, root.id, root.id],
    );
    const rest = await carol.socket.request('thread:history', {
      rootId: root.id,
      before: page.nextBefore ?? 0,
    });
    assert.equal(page.replies.length + rest.replies.length, 6);
    assert.equal(rest.nextBefore, null);
    const rootUpdates = updates.filter((m) => m.id === root.id);
    assert.equal(rootUpdates[rootUpdates.length - 1].thread?.replyCount, 6, 'the room heard the summary');

    const counted = nextEvent(
      alice,
      'message.updated',
      (m) => m.id === root.id && m.thread?.replyCount === 5,
    );
    await bob.socket.delete(replies[0].id);
    await counted;
  });

  it('a reply to a reply, to another room or to nothing is refused naming threadRootId', async (t) => {
    const root = await bob.socket.send(roomId, 'another root');
    const reply = await bob.socket.request('message:send', {
      roomId,
      text: 'r',
      clientMessageId: 'x1',
      threadRootId: root.id,
    });
    await rejectsWith(
      bob.socket.request('message:send', {
        roomId,
        text: 'r',
        clientMessageId: 'x2',
        threadRootId: reply.id,
      }),
      { code: 'validation_failed', field: 'threadRootId' },
    );
    const other = (await bob.socket.createRoom({ name: 'other', kind: 'public' })).id;
    await rejectsWith(
      bob.socket.request('message:send', {
        roomId: other,
        text: 'r',
        clientMessageId: 'x3',
        threadRootId: root.id,
      }),
      { code: 'not_found', field: 'threadRootId' },
    );
    const secret = (await bob.socket.createRoom({ name: 'secret', kind: 'private' })).id;
    const hidden = await bob.socket.send(secret, 'hidden root');
    // Registered after the others, so not the first account (which becomes admin and sees every room).
    const outsider = await registerUser(server);
    await outsider.socket.connect();
    t.after(() => outsider.socket.disconnect());
    await rejectsWith(outsider.socket.request('thread:history', { rootId: hidden.id }), {
      code: 'not_found',
      field: 'rootId',
    });
  });
});
