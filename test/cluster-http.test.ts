import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PalaverApiError, PalaverClient } from '@palaver/client';
import { waitFor } from './support/ports';
import { startCluster, TestCluster } from './support/cluster';

interface ReadyBody {
  status: string;
  info?: Record<string, { status: string; state?: string }>;
  details?: Record<string, { status: string; state?: string }>;
}

/** The value of an unlabelled-by-us gauge on a node's /metrics (default labels like node= allowed). */
async function gauge(metricsUrl: string, name: string): Promise<number | undefined> {
  const text = await (await fetch(metricsUrl, { signal: AbortSignal.timeout(5000) })).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

async function readiness(url: string): Promise<{ status: number; body: ReadyBody }> {
  const res = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(5000) });
  return { status: res.status, body: (await res.json()) as ReadyBody };
}

describe('a cluster of Palaver processes sharing one docstore and one redis-server', () => {
  let cluster: TestCluster;

  before(async () => {
    cluster = await startCluster({ nodes: 3, redis: true, metrics: true });
  });
  after(async () => {
    await cluster?.close();
  });

  it('an account registered on one node logs in on every other node', async () => {
    const [n1, n2, n3] = cluster.nodes;
    await new PalaverClient(n1!.url).register('roaming', 'correct horse battery');
    for (const node of [n2!, n3!]) {
      const client = new PalaverClient(node.url);
      await client.login('roaming', 'correct horse battery');
      assert.equal((await client.me()).username, 'roaming');
    }
  });

  it('failed-login throttling holds cluster-wide: attempts spread over three nodes share one budget', async () => {
    await new PalaverClient(cluster.nodes[0]!.url).register('target', 'the right password');
    // LOGIN_LIMITS.account allows 10 failures per account; spread them round-robin over the nodes.
    for (let i = 0; i < 10; i++) {
      const node = cluster.nodes[i % cluster.nodes.length]!;
      await assert.rejects(new PalaverClient(node.url).login('target', `wrong ${i}`), (err: unknown) => {
        assert.ok(err instanceof PalaverApiError);
        assert.equal(err.status, 401, `attempt ${i + 1} on ${node.id} is a plain failure`);
        return true;
      });
    }
    for (const node of cluster.nodes) {
      await assert.rejects(
        new PalaverClient(node.url).login('target', 'the right password'),
        (err: unknown) => {
          assert.ok(err instanceof PalaverApiError);
          assert.equal(err.status, 429, `${node.id} refuses: the account is throttled on every node`);
          return true;
        },
      );
    }
  });

  it('with redis-server killed every node stays ready (Redis degraded), serves logins, and recovers when it returns', async () => {
    const redis = cluster.redis!;
    for (const node of cluster.nodes) {
      const { status, body } = await readiness(node.url);
      assert.equal(status, 200);
      assert.equal(body.details?.redis?.state, 'connected', `${node.id} reports Redis connected`);
    }
    await new PalaverClient(cluster.nodes[0]!.url).register('during-outage', 'correct horse battery');
    await redis.kill();
    for (const node of cluster.nodes) {
      await waitFor(`${node.id} to report Redis degraded`, async () => {
        const { status, body } = await readiness(node.url);
        return status === 200 && body.details?.redis?.state === 'degraded';
      });
      assert.equal(
        await gauge(node.metricsUrl!, 'palaver_redis_connected'),
        0,
        `${node.id} exports redis down`,
      );
    }
    for (const node of cluster.nodes) {
      const client = new PalaverClient(node.url);
      await client.login('during-outage', 'correct horse battery');
      assert.equal((await client.me()).username, 'during-outage');
    }
    await redis.start();
    for (const node of cluster.nodes) {
      await waitFor(`${node.id} to report Redis connected again`, async () => {
        const { body } = await readiness(node.url);
        return body.details?.redis?.state === 'connected';
      });
      assert.equal(
        await gauge(node.metricsUrl!, 'palaver_redis_connected'),
        1,
        `${node.id} exports redis up`,
      );
    }
  });
});
