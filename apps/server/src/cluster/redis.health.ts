import { Inject, Injectable, OnModuleInit, Optional } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { ReadinessChecks } from '../health/readiness-checks';
import { RedisConnection } from './redis.connection';

/**
 * Readiness of the Redis link. A node whose Redis is down still serves its own clients and persists
 * every message, so the indicator stays "up" (the node must stay in the load balancer) and says
 * `state: 'degraded'`: cross-node delivery, cluster-wide rate limits and shared presence are paused
 * until ioredis reconnects. Single node (REDIS_URL unset): `state: 'not_configured'`.
 */
@Injectable()
export class RedisHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    @Inject(RedisConnection) private readonly redis: RedisConnection | null,
  ) {}

  async isHealthy(key = 'redis'): Promise<HealthIndicatorResult> {
    const indicator = this.health.check(key);
    if (!this.redis) return indicator.up({ state: 'not_configured' });
    if (!this.redis.ready)
      return indicator.up({ state: 'degraded', message: 'Redis unreachable; reconnecting' });
    try {
      const pingMs = await this.redis.ping();
      return indicator.up({ state: 'connected', pingMs });
    } catch (err) {
      return indicator.up({ state: 'degraded', message: (err as Error).message });
    }
  }
}

/** Adds the Redis indicator to /health/ready when REDIS_URL is set (and a HealthModule is present). */
@Injectable()
export class RedisReadinessRegistration implements OnModuleInit {
  constructor(
    private readonly indicator: RedisHealthIndicator,
    @Inject(RedisConnection) private readonly redis: RedisConnection | null,
    @Optional() private readonly readiness?: ReadinessChecks,
  ) {}

  onModuleInit(): void {
    if (this.redis && this.readiness) this.readiness.register(() => this.indicator.isHealthy('redis'));
  }
}
