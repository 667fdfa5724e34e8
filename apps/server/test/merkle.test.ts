import { getModelToken } from '@nestjs/mongoose';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { bucketOf, MERKLE_BUCKET_SIZE, RoomTimeline } from '@palaver/client';
import { Model } from 'mongoose';
import { MessageDocument } from '../src/messages/messages.schema';
import { RoomsRepository } from '../src/rooms/rooms.repository';
import { rejectsWith, serverHistory } from './realtime-helpers';
import { registerUser, startTestServer, TestServer, TestUserClient, waitFor } from './utils';

describe('Merkle reconciliation of a cached window', () => {
  let server: TestServer;
  let alice: TestUserClient;
  let bob: TestUserClient;
  let roomId: string;
  let timeline: RoomTimeline;

  before(async () => {
    server = await startTestServer();
    [alice, bob] = await Promise.all([registerUser(server), registerUser(server)]);
    await Promise.all([alice, bob].map((c) => c.socket.connect()));
    roomId = (await bob.socket.createRoom({ name: 'merkle', kind: 'public' })).id;
    await alice.socket.joinRoom(roomId);
    for (let i = 0; i < 300; i += 1) await bob.socket.send(roomId, `m${i}`);
    timeline = new RoomTimeline(alice.socket, { pageSize: 500 }).start();
    timeline.track(roomId);
    await waitFor(() => timeline.messages(roomId).length === 300 && !timeline.isSyncing, 10_000, 'the cache');
  });
  after(async () => {
    timeline?.stop();
    for (const c of [alice, bob]) c?.socket.disconnect();
    await server?.close();
  });

  it('a cache in step with the server gets nothing back but the equal root', async () => {
    const report = await timeline.reconcile(roomId);
    assert.deepEqual(report, { requests: 1, repairedBuckets: [], messagesReceived: 0 });
  });

  it('repairs changes the client never heard of and receives only the buckets that differ', async () => {
    // Divergence injected behind the client's back: edits and a deletion written without any event.
    const model = server.app.get<Model<MessageDocument>>(getModelToken(MessageDocument.name));
    const rooms = server.app.get(RoomsRepository);
    const held = timeline.messages(roomId);
    const targets = [held[70], held[75], held[200]];
    for (const [i, target] of targets.entries()) {
      const changeSeq = (await rooms.nextSeq(roomId)) as number;
      const change =
        i === 2
          ? { text: '', deletedAt: new Date(), deletedBy: bob.user.id, changeSeq }
          : { text: `silently edited ${i}`, editedAt: new Date(), changeSeq };
      await model.updateOne({ _id: target.id }, { $set: change }).exec();
    }
    const expectedBuckets = [...new Set(targets.map((t) => bucketOf(t.seq)))];

    const report = await timeline.reconcile(roomId);
    assert.deepEqual(report.repairedBuckets, expectedBuckets, 'only the differing buckets were sent');
    const bucketSizes = expectedBuckets.map((b) => held.filter((m) => bucketOf(m.seq) === b).length);
    assert.equal(
      report.messagesReceived,
      bucketSizes.reduce((a, b) => a + b, 0),
    );
    assert.ok(report.messagesReceived <= expectedBuckets.length * MERKLE_BUCKET_SIZE);
    assert.deepEqual(
      timeline.messages(roomId),
      await serverHistory(bob, roomId),
      'the cache equals the server',
    );
    assert.deepEqual((await timeline.reconcile(roomId)).repairedBuckets, [], 'and is now in step');
  });

  it('refuses malformed summaries naming the field', async () => {
    await rejectsWith(
      alice.socket.request('sync:merkle', {
        roomId,
        fromBucket: 0,
        buckets: ['xyz'],
        root: '0123456789abcdef',
      }),
      { code: 'validation_failed', field: 'buckets' },
    );
    await rejectsWith(
      alice.socket.request('sync:merkle', {
        roomId,
        fromBucket: 0,
        buckets: Array.from({ length: 129 }, () => '0123456789abcdef'),
        root: '0123456789abcdef',
      }),
      { code: 'validation_failed', field: 'buckets' },
    );
  });
});
