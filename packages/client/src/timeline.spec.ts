import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import type { MessageView, SyncPage } from './protocol';
import type { SocketConnection } from './socket';
import { RoomTimeline } from './timeline';

const ROOM = 'room-1';

function message(seq: number, changeSeq = seq): MessageView {
  return {
    id: `m${seq}`,
    roomId: ROOM,
    seq,
    changeSeq,
    authorId: 'u1',
    authorUsername: 'alice',
    text: `text ${seq}`,
    clientMessageId: `c${seq}`,
    createdAt: new Date(0).toISOString(),
    editedAt: null,
    deleted: false,
    deletedAt: null,
  };
}

/** A socket stand-in: the server's store answers `sync`; tests push live events and drop the link. */
class FakeSocket {
  readonly io = new EventEmitter();
  readonly live = new EventEmitter();
  connected = true;
  readonly store: MessageView[] = [];
  readonly syncCursors: number[] = [];

  on(event: string, handler: (payload: MessageView) => void): () => void {
    this.live.on(event, handler);
    return () => void this.live.off(event, handler);
  }

  async request(event: string, payload: { rooms: Record<string, number> }): Promise<SyncPage> {
    assert.equal(event, 'sync');
    const cursor = payload.rooms[ROOM];
    this.syncCursors.push(cursor);
    const changes = this.store.filter((m) => m.changeSeq > cursor).sort((a, b) => a.changeSeq - b.changeSeq);
    return { changes, pending: {}, denied: [] };
  }

  drop(): void {
    this.connected = false;
    this.io.emit('disconnect');
  }

  reconnect(): void {
    this.connected = true;
    this.io.emit('connect');
  }
}

describe('RoomTimeline', () => {
  it('replays a change that a later one overtook just before a disconnect', async () => {
    const socket = new FakeSocket();
    const timeline = new RoomTimeline(socket as unknown as SocketConnection, { settleMs: 1000 }).start();
    const applied: string[] = [];
    timeline.onApply((m, source) => applied.push(`${m.id}@${m.changeSeq}:${source}`));
    timeline.track(ROOM);
    await timeline.whenSynced();

    // Changes 1 and 2 arrive; 3 is committed after 4, and the link drops before 3 is delivered.
    for (const m of [message(1), message(2), message(3), message(4)]) socket.store.push(m);
    socket.live.emit('message.created', message(1));
    socket.live.emit('message.created', message(2));
    socket.live.emit('message.created', message(4));
    socket.drop();

    socket.reconnect();
    await new Promise((resolve) => setImmediate(resolve));
    await timeline.whenSynced();

    assert.ok(
      socket.syncCursors.at(-1)! < 3,
      `resumed below the missing change (from ${socket.syncCursors.at(-1)})`,
    );
    assert.deepEqual(
      timeline.messages(ROOM).map((m) => m.id),
      ['m1', 'm2', 'm3', 'm4'],
    );
    const counts = new Map<string, number>();
    for (const entry of applied) counts.set(entry, (counts.get(entry) ?? 0) + 1);
    assert.ok(
      [...counts.values()].every((n) => n === 1),
      `each change applied once: ${applied.join(' ')}`,
    );
    assert.equal(timeline.lastChangeSeq(ROOM), 4);
    timeline.stop();
  });

  it('resumes from the latest change once it has settled', async () => {
    const socket = new FakeSocket();
    const timeline = new RoomTimeline(socket as unknown as SocketConnection, { settleMs: 0 }).start();
    timeline.track(ROOM);
    await timeline.whenSynced();
    socket.store.push(message(1), message(2));
    socket.live.emit('message.created', message(1));
    socket.live.emit('message.created', message(2));
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(timeline.resumeCursor(ROOM), 2);
    socket.drop();
    socket.reconnect();
    await new Promise((resolve) => setImmediate(resolve));
    await timeline.whenSynced();
    assert.equal(socket.syncCursors.at(-1), 2);
    timeline.stop();
  });
});
