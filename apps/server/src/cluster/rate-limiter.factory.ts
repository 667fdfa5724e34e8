import { RateLimiterAbstract, RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { RateLimitedError } from '../common/domain-error';

export interface RateLimitSpec {
  /** Unique per use, e.g. `login:ip`. */
  keyPrefix: string;
  /** Allowed events per window. */
  points: number;
  durationSeconds: number;
  /** Once exceeded, refuse for this long (defaults to the rest of the window). */
  blockSeconds?: number;
}

/**
 * Builds rate limiters: in memory on a single node; the cluster module swaps in a Redis-backed factory
 * when REDIS_URL is set, so limits hold across every node.
 */
export class RateLimiterFactory {
  create(spec: RateLimitSpec): RateLimiter {
    return new RateLimiter(
      new RateLimiterMemory({
        keyPrefix: spec.keyPrefix,
        points: spec.points,
        duration: spec.durationSeconds,
        blockDuration: spec.blockSeconds ?? 0,
      }),
    );
  }
}

/** A limiter that throws RateLimitedError (retryAfterMs set) instead of returning library results. */
export class RateLimiter {
  constructor(readonly backend: RateLimiterAbstract) {}

  async consume(key: string, what = 'too many requests'): Promise<void> {
    try {
      await this.backend.consume(key);
    } catch (err) {
      if (err instanceof RateLimiterRes) throw new RateLimitedError(what, err.msBeforeNext);
      throw err;
    }
  }

  async reset(key: string): Promise<void> {
    await this.backend.delete(key);
  }
}
