import { Global, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { AppConfig } from '../config/app-config';
import { MemoryPresenceStore } from '../presence/memory-presence.store';
import { PresenceStore } from '../presence/presence.store';
import { RedisPresenceStore } from '../presence/redis-presence.store';
import { ClusterBus, InProcessClusterBus } from './cluster-bus';
import { ClusterMetrics } from './cluster.metrics';
import { PresenceHeartbeat } from './presence-heartbeat';
import { RateLimiterFactory } from './rate-limiter.factory';
import { RedisClusterBus } from './redis-cluster-bus';
import { RedisRateLimiterFactory } from './redis-rate-limiter.factory';
import { RedisConnection } from './redis.connection';
import { RedisHealthIndicator, RedisReadinessRegistration } from './redis.health';

/**
 * Shared cross-node state and messaging. Each provider reads AppConfig: without REDIS_URL the single-node
 * implementations (in-process bus, memory rate limiters and presence); with it the Redis-backed ones, so
 * limits, presence and bus messages hold across every node (see docs/scaling.md). RedisConnection is
 * `null` on a single node. The Socket.IO adapter is set in bootstrap by configureSocketAdapter().
 */
@Global()
@Module({
  imports: [TerminusModule],
  providers: [
    {
      provide: RedisConnection,
      inject: [AppConfig],
      useFactory: (config: AppConfig): Promise<RedisConnection> | null =>
        config.REDIS_URL ? RedisConnection.open(config.REDIS_URL, config.NODE_ID) : null,
    },
    {
      provide: ClusterBus,
      inject: [AppConfig, RedisConnection],
      useFactory: (config: AppConfig, redis: RedisConnection | null): ClusterBus =>
        redis
          ? new RedisClusterBus(redis.client, redis.subscriber, config.NODE_ID)
          : new InProcessClusterBus(),
    },
    {
      provide: RateLimiterFactory,
      inject: [RedisConnection],
      useFactory: (redis: RedisConnection | null): RateLimiterFactory =>
        redis ? new RedisRateLimiterFactory(redis.client) : new RateLimiterFactory(),
    },
    {
      provide: PresenceStore,
      inject: [RedisConnection],
      useFactory: (redis: RedisConnection | null): PresenceStore =>
        redis ? new RedisPresenceStore(redis.client) : new MemoryPresenceStore(),
    },
    {
      provide: PresenceHeartbeat,
      inject: [PresenceStore, AppConfig],
      useFactory: (store: PresenceStore, config: AppConfig) => new PresenceHeartbeat(store, config.NODE_ID),
    },
    RedisHealthIndicator,
    RedisReadinessRegistration,
    ClusterMetrics,
  ],
  exports: [ClusterBus, RateLimiterFactory, PresenceStore, RedisConnection, RedisHealthIndicator],
})
export class ClusterModule {}
