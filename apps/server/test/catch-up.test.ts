import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MessageView, PalaverClient, RoomTimeline } from '@palaver/client';
import { rejectsWith, serverHistory, settle } from './realtime-helpers';
import { startTestServer, TestServer, TestUserClient, waitFor, registerMembers } from './utils';

/** Records every change a timeline applies and fails on any (id, changeSeq) applied twice. */
function watchApplied(timeline: RoomTimeline): {
  live: number;
  replay: number;
  repair: number;
  twice: string[];
} {
  const seen = new Set<string>();
  const stats = { live: 0, replay: 0, repair: 0, twice: [] as string[] };
  timeline.onApply((message, source) => {
    const key = `${message.id}@${message.changeSeq}`;
    if (seen.has(key)) stats.twice.push(key);
    seen.add(key);
    stats[source] += 1;
  });
  return stats;
}

/** Sends, edits and deletes in a loop until stopped; returns how many changes it made. */
function keepChanging(sender: PalaverClient, roomId: string, tag: string): { stop(): Promise<number> } {
  let running = true;
  const work = (async () => {
    let changes = 0;
    const mine: string[] = [];
    for (let i = 0; running; i += 1) {
      const ack = await sender.socket.send(roomId, `${tag}-${i}`);
      mine.push(ack.id);
      changes += 1;
      if (i % 3 === 1) {
        await sender.socket.edit(mine[mine.length - 2], `${tag}-${i - 1} (edited)`);
        changes += 1;
      }
      if (i % 5 === 4) {
        await sender.socket.delete(mine[mine.length - 3]);
        changes += 1;
      }
    }
    return changes;
  })();
  return {
    stop: async () => {
      running = false;
      return work;
    },
  };
}

function disconnected(client: PalaverClient): Promise<void> {
  return new Promise((resolve) => client.socket.io.once('disconnect', () => resolve()));
}

function assertSameView(timeline: RoomTimeline, history: MessageView[], roomId: string): void {
  const held = timeline.messages(roomId);
  assert.equal(held.length, history.length, 'the client holds as many messages as the server');
  assert.deepEqual(held, history, "the client's view equals the server's history exactly");
  assert.equal(timeline.lastChangeSeq(roomId), Math.max(...history.map((m) => m.changeSeq)));
}

describe('catch-up: sync replays what a client missed exactly once', () => {
  let server: TestServer;
  let alice: TestUserClient;
  let bob: TestUserClient;
  let carol: TestUserClient;
  let roomId: string;

  before(async () => {
    server = await startTestServer();
    [alice, bob, carol] = await registerMembers(server, 3);
    await Promise.all([alice, bob, carol].map((c) => c.socket.connect()));
    roomId = (await bob.rooms.create({ name: 'catch-up', kind: 'public' })).id;
    await alice.rooms.join(roomId);
  });
  after(async () => {
    for (const c of [alice, bob, carol]) c?.socket.disconnect();
    await server?.close();
  });

  it('a member whose network drops for a moment ends with exactly the server history, no change applied twice', async () => {
    for (let i = 0; i < 10; i += 1) await bob.socket.send(roomId, `before-${i}`);
    const timeline = new RoomTimeline(alice.socket, { pageSize: 7 }).start();
    const applied = watchApplied(timeline);
    timeline.track(roomId);
    await waitFor(() => timeline.messages(roomId).length === 10 && !timeline.isSyncing, 5000, 'first replay');

    const traffic = keepChanging(bob, roomId, 'short');
    await waitFor(() => applied.live >= 5, 5000, 'live traffic');
    // A network drop, not a clean disconnect: Socket.IO reconnects by itself after ~1 s.
    const dropped = disconnected(alice);
    alice.socket.io.io.engine.close();
    await dropped;
    await waitFor(() => alice.socket.connected, 10_000, 'reconnection');
    await waitFor(() => applied.replay > 10, 10_000, 'a replay after the reconnect');
    await timeline.whenSynced();
    const changes = await traffic.stop();
    await settle(bob, roomId, [alice]);
    await timeline.whenSynced();

    assert.ok(changes > 10, `traffic kept going (${changes} changes)`);
    assertSameView(timeline, await serverHistory(bob, roomId), roomId);
    assert.deepEqual(applied.twice, [], 'no (id, changeSeq) was applied twice');
    timeline.stop();
  });

  it('a member away while hundreds of changes happen catches up in bounded pages while others keep sending', async () => {
    const timeline = new RoomTimeline(alice.socket, { pageSize: 50 }).start();
    const applied = watchApplied(timeline);
    timeline.track(roomId);
    await waitFor(() => timeline.messages(roomId).length > 0 && !timeline.isSyncing, 10_000, 'first replay');
    const before = timeline.lastChangeSeq(roomId) ?? 0;

    alice.socket.disconnect();
    const mine: string[] = [];
    for (let i = 0; i < 240; i += 1) mine.push((await bob.socket.send(roomId, `away-${i}`)).id);
    for (let i = 0; i < 40; i += 1) await bob.socket.edit(mine[i], `away-${i} (edited twice)`);
    for (let i = 0; i < 20; i += 1) await bob.socket.delete(mine[i]);
    // Messages held before the disconnect change too: the replay must carry those edits and deletions.
    const old = timeline.messages(roomId).filter((m) => !m.deleted && m.authorId === bob.user.id);
    await bob.socket.edit(old[0].id, 'old, edited while away');
    await bob.socket.delete(old[1].id);

    const replayPages: number[] = [];
    const onPacket = (packet: { data?: unknown[] }) => {
      const body = packet.data?.[0] as { changes?: unknown[] } | undefined;
      if (Array.isArray(body?.changes)) replayPages.push(body.changes.length);
    };
    alice.socket.io.io.on('packet', onPacket);
    const traffic = keepChanging(bob, roomId, 'during');
    await alice.socket.connect();
    await waitFor(() => applied.replay > 240, 20_000, 'the replay');
    await timeline.whenSynced();
    const changes = await traffic.stop();
    await settle(bob, roomId, [alice]);
    await timeline.whenSynced();
    alice.socket.io.io.off('packet', onPacket);

    assert.ok(changes > 0);
    // 242 distinct messages changed while away (edits and deletes of the same ones replay once each).
    assert.ok(replayPages.length >= 5, `the replay came in several pages (${replayPages.join(',')})`);
    assert.ok(
      replayPages.every((n) => n <= 50),
      `no page exceeded the page size (${replayPages.join(',')})`,
    );
    assertSameView(timeline, await serverHistory(bob, roomId), roomId);
    assert.ok((timeline.lastChangeSeq(roomId) ?? 0) > before);
    assert.equal(timeline.messages(roomId).find((m) => m.id === old[1].id)?.deleted, true);
    assert.equal(timeline.messages(roomId).find((m) => m.id === old[0].id)?.text, 'old, edited while away');
    assert.deepEqual(applied.twice, [], 'no (id, changeSeq) was applied twice');
    timeline.stop();
  });

  it('replays an edited message once, at its latest state, and nothing when nothing changed', async () => {
    const { changeSeq: cursor } = await bob.socket.send(roomId, 'edit me');
    const last = await serverHistory(bob, roomId);
    const id = last[last.length - 1].id;
    await bob.socket.edit(id, 'edit 1');
    await bob.socket.edit(id, 'edit 2');
    const page = await alice.socket.request('sync', { rooms: { [roomId]: cursor - 1 } });
    assert.deepEqual(
      page.changes.map((m) => [m.id, m.text]),
      [[id, 'edit 2']],
    );
    assert.deepEqual(page.pending, {});
    const nothing = await alice.socket.request('sync', { rooms: { [roomId]: page.changes[0].changeSeq } });
    assert.deepEqual(nothing, { changes: [], pending: {}, denied: [] });
  });

  it('reports rooms the caller may not read as denied and never sends their messages', async () => {
    const secret = await bob.rooms.create({ name: 'secret', kind: 'private' });
    await bob.socket.send(secret.id, 'not for carol');
    const page = await carol.socket.request('sync', { rooms: { [secret.id]: 0, [roomId]: 0 }, limit: 500 });
    assert.deepEqual(page.denied, [secret.id]);
    assert.ok(page.changes.length > 0, 'a public room is readable');
    assert.ok(page.changes.every((m) => m.roomId === roomId));
  });

  it('refuses malformed cursors naming the field', async () => {
    await rejectsWith(alice.socket.request('sync', { rooms: { 'not-an-id': 0 } }), {
      code: 'validation_failed',
      field: 'rooms',
    });
    await rejectsWith(alice.socket.request('sync', { rooms: { [roomId]: -1 } }), {
      code: 'validation_failed',
      field: 'rooms',
    });
    await rejectsWith(alice.socket.request('sync', { rooms: {}, limit: 501 }), {
      code: 'validation_failed',
      field: 'limit',
    });
  });
});
