import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startCluster, TestCluster } from './support/cluster';
import { AckError, ClusterMember, duplicates } from './support/cluster-member';
import { waitFor } from './support/ports';

describe('two Palaver nodes when the database goes away and comes back', () => {
  let cluster: TestCluster;
  const members: ClusterMember[] = [];

  before(async () => {
    cluster = await startCluster({ nodes: 2, redis: true });
  });
  after(async () => {
    for (const member of members) member.close();
    await cluster?.close();
  });

  it('sends get an error ack (not a hang) while the docstore is down, and succeed again after it restarts without restarting the nodes', async () => {
    const [n1, n2] = cluster.nodes;
    const a = await ClusterMember.register(n1!.url, `db-a-${randomUUID().slice(0, 6)}`);
    const b = await ClusterMember.register(n2!.url, `db-b-${randomUUID().slice(0, 6)}`);
    members.push(a, b);
    await a.connect(n1!.url);
    await b.connect(n2!.url);
    const roomId = (await a.call('room:create', { name: `db-${randomUUID().slice(0, 6)}`, kind: 'public' }))
      .id;
    await b.call('room:join', { roomId });
    const before = await a.send(roomId, 'before the outage');

    await cluster.docstore.crash();
    const retriedId = randomUUID();
    // The ack must come back as an error within the server's own bounds (server selection is 10 s).
    const started = Date.now();
    await assert.rejects(a.send(roomId, 'during the outage', retriedId, 30_000), (err: unknown) => {
      assert.ok(err instanceof AckError, `an error ack, got ${String(err)}`);
      return true;
    });
    assert.ok(Date.now() - started < 30_000);
    assert.ok(a.connected && b.connected, 'sockets stay connected while the database is down');

    await cluster.docstore.start();
    // The same send retried with its clientMessageId succeeds once the driver has reconnected.
    let acked: { id: string } | undefined;
    await waitFor(
      'a send to succeed after the docstore restarted',
      async () => {
        acked = await a.send(roomId, 'during the outage', retriedId, 5000);
        return true;
      },
      60_000,
      500,
    );
    await waitFor(
      'node 2 to store and ack as well',
      async () => Boolean(await b.send(roomId, 'after', randomUUID(), 5000)),
      60_000,
      500,
    );

    const history = await b.history(roomId);
    assert.deepEqual(duplicates(history.map((m) => m.clientMessageId)), []);
    const ids = history.map((m) => m.id);
    assert.ok(ids.includes(before.id) && ids.includes(acked!.id));
    assert.equal(
      history.filter((m) => m.clientMessageId === retriedId).length,
      1,
      'the retried send is stored once',
    );
  });
});
