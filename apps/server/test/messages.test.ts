import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PalaverClient } from '@palaver/client';
import { nextEvent, rejectsWith } from './realtime-helpers';
import { registerUser, startTestServer, TestServer, TestUserClient } from './utils';

describe('messages: history, edit and delete rules', () => {
  let server: TestServer;
  let owner: TestUserClient;
  let author: TestUserClient;
  let other: TestUserClient;
  let roomId: string;

  before(async () => {
    server = await startTestServer({ env: { MESSAGE_MAX_LENGTH: '50' } });
    owner = await registerUser(server);
    [author, other] = await Promise.all([registerUser(server), registerUser(server)]);
    await Promise.all([owner, author, other].map((c) => c.socket.connect()));
    roomId = (await owner.rooms.create({ name: 'history', kind: 'public' })).id;
    await author.rooms.join(roomId);
    await other.rooms.join(roomId);
  });
  after(async () => {
    for (const c of [owner, author, other]) c?.socket.disconnect();
    await server?.close();
  });

  it('pages history newest first by a seq cursor, over REST and the socket alike', async () => {
    const acks = [];
    for (let i = 0; i < 7; i += 1) acks.push(await author.socket.send(roomId, `m${i}`));
    const seqs = acks.map((a) => a.seq).reverse();
    const first = await other.messages.history(roomId, { limit: 3 });
    assert.deepEqual(
      first.messages.map((m) => m.seq),
      seqs.slice(0, 3),
    );
    assert.equal(first.nextBefore, seqs[2]);
    const second = await other.socket.history({ roomId, limit: 3, before: first.nextBefore ?? undefined });
    assert.deepEqual(
      second.messages.map((m) => m.text),
      ['m3', 'm2', 'm1'],
    );
    const last = await other.socket.history({ roomId, limit: 3, before: second.nextBefore ?? undefined });
    assert.deepEqual(
      last.messages.map((m) => m.text),
      ['m0'],
    );
    assert.equal(last.nextBefore, null);
    const whole = await other.messages.history(roomId, { limit: 100 });
    assert.deepEqual(
      whole.messages.map((m) => m.seq),
      seqs,
    );
    await rejectsWith(other.messages.history(roomId, { limit: 0 }), {
      code: 'validation_failed',
      field: 'limit',
    });
    await rejectsWith(other.messages.history(roomId, { before: -1 }), {
      code: 'validation_failed',
      field: 'before',
    });
  });

  it('enforces MESSAGE_MAX_LENGTH on send and edit, over the socket and REST', async () => {
    await rejectsWith(author.socket.send(roomId, 'x'.repeat(51)), {
      code: 'payload_too_large',
      field: 'text',
    });
    await rejectsWith(author.messages.send(roomId, 'x'.repeat(51)), {
      code: 'payload_too_large',
      field: 'text',
      status: 413,
    });
    const ok = await author.socket.send(roomId, 'x'.repeat(50));
    await rejectsWith(author.socket.edit(ok.id, 'y'.repeat(51)), {
      code: 'payload_too_large',
      field: 'text',
    });
    await rejectsWith(author.socket.send(roomId, ' \n\t '), { code: 'validation_failed', field: 'text' });
  });

  it('sends over REST idempotently by clientMessageId, broadcasting once', async () => {
    const got = nextEvent(other, 'message.created', (m) => m.clientMessageId === 'rest-1');
    const first = await author.messages.send(roomId, 'via rest', 'rest-1');
    const again = await author.messages.send(roomId, 'via rest', 'rest-1');
    assert.equal(first.id, again.id);
    assert.equal(again.duplicate, true);
    assert.equal((await got).id, first.id);
    // The same clientMessageId from another author is a different message.
    const theirs = await other.messages.send(roomId, 'via rest', 'rest-1');
    assert.notEqual(theirs.id, first.id);
  });

  it('a burst of sends to one room stores each once with its own seq; retries in it are acked as the originals', async () => {
    const original = await author.socket.send(roomId, 'before the burst', { clientMessageId: 'burst-0' });
    const senders = [owner, author, other];
    const texts = Array.from({ length: 30 }, (_, i) => `burst ${i}`);
    const seen = new Map<string, number>();
    const allSeen = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`saw ${seen.size} of ${texts.length}`)), 10_000);
      other.socket.on('message.created', (m) => {
        if (!m.text.startsWith('burst ')) return;
        seen.set(m.text, (seen.get(m.text) ?? 0) + 1);
        if (seen.size === texts.length) {
          clearTimeout(timer);
          setTimeout(resolve, 200); // a second copy of any message would arrive within this
        }
      });
    });
    // Emitted together, so the server takes them in a few reads and groups those queued behind a write.
    const acks = await Promise.all([
      ...texts.map((text, i) =>
        senders[i % 3].socket.send(roomId, text, { clientMessageId: `burst-${i + 1}` }),
      ),
      author.socket.send(roomId, 'before the burst', { clientMessageId: 'burst-0' }),
      author.socket.send(roomId, 'before the burst', { clientMessageId: 'burst-0' }),
    ]);
    const fresh = acks.slice(0, texts.length);
    assert.ok(fresh.every((a) => !a.duplicate));
    assert.equal(new Set(fresh.map((a) => a.seq)).size, texts.length, 'every message has its own seq');
    assert.ok(fresh.every((a) => a.seq > original.seq));
    for (const retry of acks.slice(texts.length)) {
      assert.deepEqual(retry, { ...original, duplicate: true });
    }
    await allSeen;
    assert.deepEqual([...new Set(seen.values())], [1], 'each message is broadcast once');
    const page = await other.socket.history({ roomId, limit: 100 });
    const stored = page.messages.filter((m) => m.text.startsWith('burst ') || m.id === original.id);
    assert.equal(stored.length, texts.length + 1);
    for (const ack of fresh) {
      assert.equal(page.messages.find((m) => m.id === ack.id)?.seq, ack.seq);
    }
  });

  it('lets only the author edit; the author or a room moderator delete; deleting twice is harmless', async () => {
    const ack = await author.socket.send(roomId, 'original');
    await rejectsWith(other.socket.edit(ack.id, 'hijacked'), { code: 'forbidden' });
    await rejectsWith(owner.socket.edit(ack.id, 'moderated'), { code: 'forbidden' });
    await rejectsWith(other.socket.delete(ack.id), { code: 'forbidden' });
    const edited = await author.messages.edit(ack.id, 'edited');
    assert.equal(edited.text, 'edited');
    const tombstone = await owner.socket.delete(ack.id);
    assert.equal(tombstone.deleted, true);
    assert.equal(tombstone.text, '');
    assert.equal((await author.socket.delete(ack.id)).changeSeq, tombstone.changeSeq);
    await rejectsWith(author.socket.edit(ack.id, 'revived'), { code: 'conflict', field: 'messageId' });
    const page = await other.messages.history(roomId, { limit: 100 });
    const stored = page.messages.find((m) => m.id === ack.id);
    assert.equal(stored?.deleted, true);
    assert.equal(stored?.text, '');
    await rejectsWith(author.socket.edit('0123456789abcdef01234567', 'x'), {
      code: 'not_found',
      field: 'messageId',
    });
  });

  it('a member who left can no longer edit their messages but a moderator can still delete them', async () => {
    const leaver = await registerUser(server);
    await leaver.rooms.join(roomId);
    const ack = await leaver.messages.send(roomId, 'parting words');
    await leaver.rooms.leave(roomId);
    await rejectsWith(leaver.messages.edit(ack.id, 'changed my mind'), { code: 'forbidden' });
    assert.equal((await owner.messages.delete(ack.id)).deleted, true);
  });
});

describe('messages and rooms survive a restart', () => {
  let dataDir: string;
  let server: TestServer | undefined;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'palaver-restart-'));
  });
  after(async () => {
    await server?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps rooms, memberships, messages, edits, tombstones and the room counter across a restart', async () => {
    server = await startTestServer({ dataDir });
    const alice = await registerUser(server);
    const bob = await registerUser(server);
    const room = await alice.rooms.create({ name: 'durable', kind: 'private' });
    await alice.rooms.invite(room.id, bob.user.id);
    const kept = await alice.messages.send(room.id, 'kept');
    const edited = await alice.messages.send(room.id, 'before edit');
    await alice.messages.edit(edited.id, 'after edit');
    const removed = await bob.messages.send(room.id, 'removed');
    await bob.messages.delete(removed.id);
    const before = await alice.messages.history(room.id);
    await server.close();
    server = undefined;

    server = await startTestServer({ dataDir });
    const again = new PalaverClient(server.url);
    await again.login(alice.user.username, alice.password);
    const rooms = await again.rooms.listMine();
    assert.deepEqual(
      rooms.map((r) => [r.id, r.name, r.myRole, r.memberCount]),
      [[room.id, 'durable', 'owner', 2]],
    );
    const after = await again.messages.history(room.id);
    assert.deepEqual(after, before);
    assert.deepEqual(
      after.messages.map((m) => [m.id, m.text, m.deleted]),
      [
        [removed.id, '', true],
        [edited.id, 'after edit', false],
        [kept.id, 'kept', false],
      ],
    );
    await again.socket.connect();
    const next = await again.socket.send(room.id, 'after restart');
    assert.ok(next.seq > Math.max(...after.messages.map((m) => m.changeSeq)));
    again.socket.disconnect();
  });
});
