import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Global, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { RateLimitedError } from '@palaver/server/dist/src/common/domain-error';
import { AppConfig, loadConfig } from '@palaver/server/dist/src/config/app-config';
import { ClusterBus, InProcessClusterBus } from '@palaver/server/dist/src/cluster/cluster-bus';
import { ClusterModule } from '@palaver/server/dist/src/cluster/cluster.module';
import { RateLimiterFactory } from '@palaver/server/dist/src/cluster/rate-limiter.factory';
import { RedisClusterBus } from '@palaver/server/dist/src/cluster/redis-cluster-bus';
import { RedisRateLimiterFactory } from '@palaver/server/dist/src/cluster/redis-rate-limiter.factory';
import { RedisConnection } from '@palaver/server/dist/src/cluster/redis.connection';
import { RedisHealthIndicator } from '@palaver/server/dist/src/cluster/redis.health';
import { MemoryPresenceStore } from '@palaver/server/dist/src/presence/memory-presence.store';
import { PresenceStore } from '@palaver/server/dist/src/presence/presence.store';
import { presenceStoreContract } from '@palaver/server/dist/src/presence/presence.store.contract';
import { RedisPresenceStore } from '@palaver/server/dist/src/presence/redis-presence.store';
import { freePort, waitFor } from './support/ports';
import { RedisServerHandle, startRedisServer } from './support/redis-server';

declare module '@palaver/server/dist/src/cluster/cluster-bus' {
  interface BusChannels {
    'test.ping': { n: number; at: string };
  }
}

describe('cluster pieces over a real redis-server', () => {
  let redis: RedisServerHandle;
  const connections: RedisConnection[] = [];
  const open = async (nodeId: string) => {
    const connection = await RedisConnection.open(redis.url, nodeId);
    connections.push(connection);
    return connection;
  };

  before(async () => {
    redis = await startRedisServer();
  });
  after(async () => {
    await Promise.all(connections.map((c) => c.close()));
    await redis.close();
  });

  describe('RedisClusterBus', () => {
    it('a publish reaches subscribers on every node exactly once, the publishing node included', async () => {
      const a = await open('node-a');
      const b = await open('node-b');
      const busA = new RedisClusterBus(a.client, a.subscriber, 'node-a');
      const busB = new RedisClusterBus(b.client, b.subscriber, 'node-b');
      const gotA: number[] = [];
      const gotB: number[] = [];
      busA.subscribe('test.ping', (p) => gotA.push(p.n));
      busB.subscribe('test.ping', (p) => gotB.push(p.n));
      await Promise.all([busA.subscribed(), busB.subscribed()]);
      for (let n = 1; n <= 5; n++) await (n % 2 ? busA : busB).publish('test.ping', { n, at: 'x' });
      await waitFor('both nodes to receive 5 messages', () => gotA.length >= 5 && gotB.length >= 5, 5000);
      await sleep(100);
      assert.deepEqual([...gotA].sort(), [1, 2, 3, 4, 5]);
      assert.deepEqual([...gotB].sort(), [1, 2, 3, 4, 5]);
    });

    it('local subscribers receive the same JSON shape remote ones do', async () => {
      const a = await open('node-json');
      const bus = new RedisClusterBus(a.client, a.subscriber, 'node-json');
      const seen: unknown[] = [];
      bus.subscribe('test.ping', (p) => seen.push(p.at));
      await bus.publish('test.ping', { n: 1, at: new Date(0) as unknown as string });
      assert.deepEqual(seen, ['1970-01-01T00:00:00.000Z']);
    });

    it('ignores malformed and foreign messages on its channels instead of failing', async () => {
      const a = await open('node-robust');
      const bus = new RedisClusterBus(a.client, a.subscriber, 'node-robust');
      const seen: number[] = [];
      bus.subscribe('test.ping', (p) => seen.push(p.n));
      await bus.subscribed();
      await a.client.publish('palaver:bus:test.ping', 'not json');
      await a.client.publish('palaver:bus:test.ping', '42');
      await a.client.publish('palaver:bus:test.ping', JSON.stringify({ origin: 'other', payload: { n: 7 } }));
      await waitFor('the valid message', () => seen.length === 1, 5000);
      assert.deepEqual(seen, [7]);
    });

    it('an unsubscribed handler receives nothing more', async () => {
      const a = await open('node-unsub');
      const bus = new RedisClusterBus(a.client, a.subscriber, 'node-unsub');
      const seen: number[] = [];
      const off = bus.subscribe('test.ping', (p) => seen.push(p.n));
      await bus.publish('test.ping', { n: 1, at: '' });
      off();
      await bus.publish('test.ping', { n: 2, at: '' });
      assert.deepEqual(seen, [1]);
    });
  });

  describe('RedisRateLimiterFactory', () => {
    it('a limit holds across nodes: attempts on two nodes share one counter', async () => {
      const a = await open('rl-a');
      const b = await open('rl-b');
      const spec = { keyPrefix: 'test-shared', points: 4, durationSeconds: 60 };
      const limitA = new RedisRateLimiterFactory(a.client).create(spec);
      const limitB = new RedisRateLimiterFactory(b.client).create(spec);
      await limitA.consume('alice');
      await limitB.consume('alice');
      await limitA.consume('alice');
      await limitB.consume('alice');
      await assert.rejects(limitA.consume('alice'), RateLimitedError);
      await assert.rejects(limitB.consume('alice'), (err: unknown) => {
        assert.ok(err instanceof RateLimitedError);
        assert.ok(err.retryAfterMs > 0);
        return true;
      });
      await limitB.consume('bob');
    });
  });

  describe('RedisPresenceStore', () => {
    let presenceConnection: RedisConnection;
    beforeEach(async () => {
      presenceConnection ??= await open('presence');
      await presenceConnection.client.flushdb();
    });
    presenceStoreContract(
      async (nodeTtlMs) => new RedisPresenceStore(presenceConnection.client, { nodeTtlMs }),
    );

    it('two nodes share presence: a user connected on node A is online when asked on node B', async () => {
      const b = await open('presence-b');
      const storeA = new RedisPresenceStore(presenceConnection.client);
      const storeB = new RedisPresenceStore(b.client);
      await storeA.setOnline('u1', 's1', 'A');
      await storeB.setOnline('u1', 's2', 'B');
      await storeB.setAway('s2');
      assert.deepEqual(await storeB.statusOf(['u1']), { u1: 'online' });
      await storeB.setOffline('s1');
      assert.deepEqual(await storeA.statusOf(['u1']), { u1: 'away' });
    });

    it("a node's next heartbeat writes its connections back after Redis lost everything", async () => {
      const store = new RedisPresenceStore(presenceConnection.client);
      await store.setOnline('u1', 's1', 'steady');
      await store.setOnline('u2', 's2', 'steady');
      await store.setAway('s2');
      await store.setOnline('u3', 's3', 'steady');
      await store.setOffline('s3');
      await presenceConnection.client.flushall();
      assert.deepEqual(await store.statusOf(['u1', 'u2']), { u1: 'offline', u2: 'offline' });
      await store.heartbeat('steady');
      assert.deepEqual(await store.statusOf(['u1', 'u2', 'u3']), { u1: 'online', u2: 'away', u3: 'offline' });
      assert.deepEqual(await store.onlineUsers(), ['u1', 'u2']);
    });

    it('a heartbeat removes what a crashed node left behind', async () => {
      const store = new RedisPresenceStore(presenceConnection.client, { nodeTtlMs: 200 });
      await store.setOnline('u1', 's1', 'crashed');
      await sleep(300);
      await store.heartbeat('survivor');
      assert.equal(await presenceConnection.client.hlen('palaver:presence:conn'), 0);
      assert.equal(await presenceConnection.client.exists('palaver:presence:user:u1'), 0);
    });
  });

  describe('ClusterModule', () => {
    const contextWith = (env: Record<string, string>) => {
      @Module({ imports: [ClusterModule, configModule(env)] })
      class TestRootModule {}
      return NestFactory.createApplicationContext(TestRootModule, { logger: false });
    };

    it('without REDIS_URL provides the single-node implementations', async () => {
      const moduleRef = await contextWith({});
      assert.ok(moduleRef.get(ClusterBus) instanceof InProcessClusterBus);
      assert.ok(moduleRef.get(PresenceStore) instanceof MemoryPresenceStore);
      assert.equal(moduleRef.get(RateLimiterFactory).constructor, RateLimiterFactory);
      assert.deepEqual(await moduleRef.get(RedisHealthIndicator).isHealthy(), {
        redis: { status: 'up', state: 'not_configured' },
      });
      await moduleRef.close();
    });

    it('with REDIS_URL provides the Redis ones and readiness turns degraded while Redis is down', async () => {
      const moduleRef = await contextWith({ REDIS_URL: redis.url, NODE_ID: 'module-node' });
      try {
        assert.ok(moduleRef.get(ClusterBus) instanceof RedisClusterBus);
        assert.ok(moduleRef.get(PresenceStore) instanceof RedisPresenceStore);
        assert.ok(moduleRef.get(RateLimiterFactory) instanceof RedisRateLimiterFactory);
        const health = moduleRef.get(RedisHealthIndicator);
        const up = await health.isHealthy();
        assert.equal(up.redis?.state, 'connected');

        await redis.kill();
        await waitFor(
          'readiness to report degraded',
          async () => (await health.isHealthy()).redis?.state === 'degraded',
          5000,
        );
        const bus = moduleRef.get(ClusterBus);
        const seen: number[] = [];
        bus.subscribe('test.ping', (p) => seen.push(p.n));
        await bus.publish('test.ping', { n: 1, at: '' });
        assert.deepEqual(seen, [1], 'local delivery keeps working while Redis is down');
        const limiter = moduleRef
          .get(RateLimiterFactory)
          .create({ keyPrefix: 'down', points: 1, durationSeconds: 60 });
        await limiter.consume('k');
        await assert.rejects(limiter.consume('k'), RateLimitedError, 'the insurance limiter still limits');

        await redis.start();
        await waitFor(
          'readiness to recover',
          async () => (await health.isHealthy()).redis?.state === 'connected',
          10_000,
        );
      } finally {
        await moduleRef.close();
      }
    });
  });

  describe('boot without Redis', () => {
    it('a node whose Redis is unreachable at boot starts anyway (bounded wait) and reports degraded', async () => {
      const port = await freePort();
      const started = Date.now();
      @Module({
        imports: [ClusterModule, configModule({ REDIS_URL: `redis://127.0.0.1:${port}`, NODE_ID: 'lonely' })],
      })
      class LonelyModule {}
      const context = await NestFactory.createApplicationContext(LonelyModule, { logger: false });
      try {
        assert.ok(Date.now() - started < 15_000, 'boot does not wait for Redis beyond its bound');
        const health = await context.get(RedisHealthIndicator).isHealthy();
        assert.equal(health.redis?.state, 'degraded');
        const limiter = context
          .get(RateLimiterFactory)
          .create({ keyPrefix: 'lonely', points: 1, durationSeconds: 60 });
        await limiter.consume('k');
        await assert.rejects(limiter.consume('k'), RateLimitedError);
      } finally {
        await context.close();
      }
    });
  });

  describe('bus across a Redis restart', () => {
    it('cross-node delivery resumes by itself after a restart, and notices published meanwhile arrive once, in order', async () => {
      const a = await open('restart-a');
      const b = await open('restart-b');
      const busA = new RedisClusterBus(a.client, a.subscriber, 'restart-a');
      const busB = new RedisClusterBus(b.client, b.subscriber, 'restart-b');
      const gotA: number[] = [];
      const gotB: number[] = [];
      busA.subscribe('test.ping', (p) => gotA.push(p.n));
      busB.subscribe('test.ping', (p) => gotB.push(p.n));
      await busB.subscribed();
      await redis.kill();
      await busA.publish('test.ping', { n: 1, at: '' });
      await busA.publish('test.ping', { n: 2, at: '' });
      assert.deepEqual(gotA, [1, 2], 'local subscribers are served during the outage');
      assert.equal(busA.pendingRemote, 2);
      await redis.start();
      await waitFor(
        'both connections to come back',
        () => a.ready && b.subscriber.status === 'ready',
        10_000,
      );
      await busA.publish('test.ping', { n: 3, at: '' });
      await waitFor('the held and the new notice to reach node B', () => gotB.length >= 3, 15_000);
      await sleep(200);
      assert.deepEqual(gotB, [1, 2, 3]);
      assert.deepEqual(gotA, [1, 2, 3]);
      assert.equal(busA.pendingRemote, 0);
      assert.equal(busA.droppedRemote, 0);
      busA.onApplicationShutdown();
      busB.onApplicationShutdown();
    });
  });
});

function configModule(env: Record<string, string>) {
  const config = loadConfig(env);
  @Global()
  @Module({ providers: [{ provide: AppConfig, useValue: config }], exports: [AppConfig] })
  class TestConfigModule {}
  return TestConfigModule;
}
