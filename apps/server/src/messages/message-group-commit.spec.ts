import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ForbiddenError, NotFoundError } from '../common/domain-error';
import type { RoomAccessState } from '../rooms/room.entity';
import type { TakenSeq } from '../rooms/rooms.repository';
import type { MessageRecord } from './message.entity';
import { AcceptedSend, GroupCommitStore, MessageGroupCommit } from './message-group-commit';
import type { NewMessage } from './messages.repository';

const ROOM = 'room-1';
const ROOM_STATE: RoomAccessState = { id: ROOM, kind: 'public', archivedAt: null, accessVersion: 0 };

/** A store whose counter writes wait until the test releases them, recording every command. */
class HeldStore implements GroupCommitStore {
  lastSeq = 0;
  readonly takes: Array<{ roomId: string; count: number }> = [];
  readonly inserts: NewMessage[][] = [];
  private readonly held: Array<() => void> = [];
  /** clientMessageIds whose insert fails on their own (as a duplicate key would). */
  readonly failing = new Set<string>();
  failNextTake: Error | null = null;
  roomGone = false;

  async takeSeq(roomId: string, count: number): Promise<TakenSeq | null> {
    this.takes.push({ roomId, count });
    await new Promise<void>((release) => this.held.push(release));
    if (this.failNextTake) {
      const err = this.failNextTake;
      this.failNextTake = null;
      throw err;
    }
    if (this.roomGone) return null;
    this.lastSeq += count;
    return { seq: this.lastSeq, room: ROOM_STATE };
  }

  async insertMany(messages: readonly NewMessage[]): Promise<Array<MessageRecord | Error>> {
    this.inserts.push([...messages]);
    return messages.map((m) =>
      this.failing.has(m.clientMessageId)
        ? Object.assign(new Error('E11000 duplicate key'), { code: 11000 })
        : record(m),
    );
  }

  /** Lets the oldest held counter write return. */
  async release(): Promise<void> {
    const next = this.held.shift();
    assert.ok(next, 'no counter write is waiting');
    next();
    await settle();
  }
}

function record(m: NewMessage): MessageRecord {
  return {
    ...m,
    id: `id-${m.seq}`,
    changeSeq: m.seq,
    createdAt: new Date(0),
    editedAt: null,
    deletedAt: null,
    deletedBy: null,
  };
}

function send(clientMessageId: string, confirm?: () => Promise<void>): AcceptedSend {
  return {
    message: { authorId: 'alice', authorUsername: 'alice', text: clientMessageId, clientMessageId },
    confirm: confirm ?? (async () => undefined),
  };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i += 1) await Promise.resolve();
}

describe('MessageGroupCommit', () => {
  it('sends a lone message at once, alone', async () => {
    const store = new HeldStore();
    const commit = new MessageGroupCommit(store);
    const stored = commit.submit(ROOM, send('a'));
    assert.deepEqual(store.takes, [{ roomId: ROOM, count: 1 }]);
    await store.release();
    assert.equal((await stored).seq, 1);
    assert.equal(store.inserts.length, 1);
  });

  it('groups sends that arrive while the counter write is in flight, numbered in the order they came', async () => {
    const store = new HeldStore();
    const commit = new MessageGroupCommit(store);
    const first = commit.submit(ROOM, send('a'));
    const queued = ['b', 'c', 'd'].map((id) => commit.submit(ROOM, send(id)));
    assert.equal(store.takes.length, 1, 'the queued sends wait for the write in flight');
    await store.release();
    assert.deepEqual(store.takes, [
      { roomId: ROOM, count: 1 },
      { roomId: ROOM, count: 3 },
    ]);
    await store.release();
    assert.equal((await first).seq, 1);
    assert.deepEqual(
      (await Promise.all(queued)).map((m) => [m.clientMessageId, m.seq]),
      [
        ['b', 2],
        ['c', 3],
        ['d', 4],
      ],
    );
    assert.deepEqual(
      store.inserts.map((group) => group.map((m) => m.clientMessageId)),
      [['a'], ['b', 'c', 'd']],
      'one insert command per group',
    );
  });

  it('keeps rooms apart: a send to another room does not wait', async () => {
    const store = new HeldStore();
    const commit = new MessageGroupCommit(store);
    void commit.submit(ROOM, send('a'));
    void commit.submit('room-2', send('b'));
    assert.deepEqual(
      store.takes.map((t) => t.roomId),
      [ROOM, 'room-2'],
    );
  });

  it('gives each send of a group its own outcome: a refused one and a duplicate fail alone', async () => {
    const store = new HeldStore();
    store.failing.add('dup');
    const commit = new MessageGroupCommit(store);
    void commit.submit(ROOM, send('head'));
    const ok1 = commit.submit(ROOM, send('ok1'));
    const refused = commit.submit(
      ROOM,
      send('kicked', async () => {
        throw new ForbiddenError('not a member');
      }),
    );
    const dup = commit.submit(ROOM, send('dup'));
    const ok2 = commit.submit(ROOM, send('ok2'));
    await store.release();
    await store.release();
    assert.equal((await ok1).seq, 2);
    await assert.rejects(refused, ForbiddenError);
    await assert.rejects(dup, (err: { code?: number }) => err.code === 11000);
    assert.equal((await ok2).seq, 5, 'the refused send leaves its seq (3) unused');
    assert.deepEqual(
      store.inserts[1].map((m) => [m.clientMessageId, m.seq]),
      [
        ['ok1', 2],
        ['dup', 4],
        ['ok2', 5],
      ],
      'the refused send is not inserted',
    );
  });

  it('bounds a group and sends the rest as the next one', async () => {
    const store = new HeldStore();
    const commit = new MessageGroupCommit(store, 2);
    void commit.submit(ROOM, send('a'));
    const rest = ['b', 'c', 'd', 'e', 'f'].map((id) => commit.submit(ROOM, send(id)));
    await store.release();
    await store.release();
    await store.release();
    await store.release();
    assert.deepEqual(
      store.takes.map((t) => t.count),
      [1, 2, 2, 1],
    );
    assert.deepEqual(
      (await Promise.all(rest)).map((m) => m.seq),
      [2, 3, 4, 5, 6],
    );
  });

  it('fails a whole group when its counter write fails or the room is gone, and goes on with the next', async () => {
    const store = new HeldStore();
    const commit = new MessageGroupCommit(store);
    store.failNextTake = new Error('connection reset');
    const lost = commit.submit(ROOM, send('a'));
    const next = commit.submit(ROOM, send('b'));
    await store.release();
    await assert.rejects(lost, /connection reset/);
    await store.release();
    assert.equal((await next).seq, 1);
    store.roomGone = true;
    const gone = commit.submit(ROOM, send('c'));
    await store.release();
    await assert.rejects(gone, NotFoundError);
  });
});
