import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import { RateLimiter, RateLimiterFactory, RateLimitSpec } from './rate-limiter.factory';

/** Redis keys of every limiter start with this, so they are easy to find and never clash. */
export const RATE_LIMIT_KEY_PREFIX = 'palaver:rl:';

/**
 * Rate limiters whose counters live in Redis, so a limit holds across every node (ten login attempts
 * spread over three nodes count as ten). When Redis is unreachable each limiter falls back at once to an
 * in-memory "insurance" limiter with the same spec: limits then hold per node until Redis returns,
 * which is looser but never blocks a request on Redis.
 */
export class RedisRateLimiterFactory extends RateLimiterFactory {
  constructor(private readonly redis: Redis) {
    super();
  }

  override create(spec: RateLimitSpec): RateLimiter {
    const options = {
      keyPrefix: spec.keyPrefix,
      points: spec.points,
      duration: spec.durationSeconds,
      blockDuration: spec.blockSeconds ?? 0,
    };
    return new RateLimiter(
      new RateLimiterRedis({
        ...options,
        keyPrefix: RATE_LIMIT_KEY_PREFIX + spec.keyPrefix,
        storeClient: this.redis,
        rejectIfRedisNotReady: true,
        insuranceLimiter: new RateLimiterMemory(options),
      }),
    );
  }
}
