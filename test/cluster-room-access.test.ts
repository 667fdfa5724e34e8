import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RoomView } from '@palaver/client';
import { startCluster, TestCluster } from './support/cluster';
import { AckError, ClusterMember } from './support/cluster-member';

/** The ack error code of a refused send (fails the test if the send was accepted). */
async function refusal(send: Promise<unknown>): Promise<string> {
  try {
    await send;
  } catch (err) {
    if (err instanceof AckError) return err.code;
    throw err;
  }
  assert.fail('the send was accepted');
}

/**
 * Each node caches room access for the send path (RoomAccess.admit). These nodes share the docstore but
 * no Redis, so no invalidation travels between them at all: what keeps a removed member out is only the
 * room's access version, returned by the counter write of every send (RoomAccess.confirm).
 */
describe('room access on a node that cached it, after changes made on another node (no cluster bus)', () => {
  let cluster: TestCluster;
  let owner: ClusterMember;
  let member: ClusterMember;
  let room: RoomView;

  before(async () => {
    cluster = await startCluster({ nodes: 2, redis: false });
    const [a, b] = cluster.nodes;
    // The first account becomes a global admin (who may read and moderate every room): keep it out of the way.
    await ClusterMember.register(a!.url, 'first-admin');
    // Both talk HTTP (join, kick, archive) to node A; the member's socket goes to node B.
    owner = await ClusterMember.register(a!.url, 'room-owner');
    member = await ClusterMember.register(a!.url, 'room-member');
    room = await owner.client.rooms.create({ name: 'access', kind: 'public' });
    await member.client.rooms.join(room.id);
    await member.connect(b!.url);
    // Posting through node B fills B's cache with the membership.
    await member.send(room.id, 'cached on B');
  });

  after(async () => {
    member?.close();
    await cluster?.close();
  });

  it('a member kicked on node A cannot post through node B once the kick is acknowledged', async () => {
    await owner.client.rooms.kick(room.id, member.userId);
    assert.equal(await refusal(member.send(room.id, 'after the kick')), 'forbidden');
    const [a] = cluster.nodes;
    await owner.connect(a!.url);
    const texts = (await owner.history(room.id)).map((m) => m.text);
    assert.deepEqual(texts, ['cached on B']);
  });

  it('a member who rejoins on node A can post through node B again at once', async () => {
    await member.client.rooms.join(room.id);
    const ack = await member.send(room.id, 'back again');
    assert.equal(ack.duplicate, false);
  });

  it('nobody can post through node B once the room is archived on node A', async () => {
    await owner.client.rooms.update(room.id, { archived: true });
    assert.equal(await refusal(member.send(room.id, 'into the archive')), 'forbidden');
    const texts = (await owner.history(room.id)).map((m) => m.text);
    assert.deepEqual(texts, ['cached on B', 'back again']);
  });
});
