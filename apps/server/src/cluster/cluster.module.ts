import { Global, Module } from '@nestjs/common';
import { ClusterBus, InProcessClusterBus } from './cluster-bus';
import { RateLimiterFactory } from './rate-limiter.factory';

/**
 * Shared cross-node state and messaging. Single-node defaults here; with REDIS_URL the Redis-backed
 * bus, rate limiters and Socket.IO adapter replace them (see docs/scaling.md).
 */
@Global()
@Module({
  providers: [{ provide: ClusterBus, useClass: InProcessClusterBus }, RateLimiterFactory],
  exports: [ClusterBus, RateLimiterFactory],
})
export class ClusterModule {}
