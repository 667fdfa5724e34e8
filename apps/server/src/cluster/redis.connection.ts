import { Logger, OnApplicationShutdown } from '@nestjs/common';
import { Redis, RedisOptions } from 'ioredis';

/** How long boot waits for Redis before starting degraded (it keeps reconnecting in the background). */
const BOOT_CONNECT_TIMEOUT_MS = 5000;
/** A command on a connected but unresponsive Redis fails after this, so no caller waits on it for long. */
const COMMAND_TIMEOUT_MS = 1000;

/** Exponential backoff with jitter, capped at 2 s, never giving up: Redis loss is a state, not an end. */
export function reconnectDelayMs(attempt: number): number {
  const base = Math.min(50 * 2 ** Math.min(attempt, 10), 2000);
  return Math.round(base / 2 + Math.random() * (base / 2));
}

/**
 * The node's Redis connections (only when REDIS_URL is set).
 *
 * - `client` runs commands (rate counters, presence, bus publishes). Its offline queue is OFF: while Redis
 *   is down a command fails at once instead of queueing, so a send, a login or a presence update never
 *   waits for Redis to come back; callers fall back (insurance limiter, local-only bus delivery).
 * - `subscriber` is in subscriber mode for the cluster bus. Its offline queue is ON (with no retry limit)
 *   because SUBSCRIBE issued while disconnected must take effect once the connection returns; ioredis
 *   re-subscribes every channel after a reconnect by itself.
 * - `duplicate()` makes further connections (the Socket.IO adapter's pair); all are closed on shutdown.
 */
export class RedisConnection implements OnApplicationShutdown {
  private readonly logger = new Logger('Redis');
  private readonly extra: Redis[] = [];
  private lastErrorLogAt = 0;
  private closed = false;

  private constructor(
    private readonly url: string,
    private readonly nodeId: string,
    readonly client: Redis,
    readonly subscriber: Redis,
  ) {}

  static async open(url: string, nodeId: string): Promise<RedisConnection> {
    const client = new Redis(url, RedisConnection.options(nodeId, 'cmd', false));
    const subscriber = new Redis(url, RedisConnection.options(nodeId, 'sub', true));
    const connection = new RedisConnection(url, nodeId, client, subscriber);
    connection.watch(client, 'cmd');
    connection.watch(subscriber, 'sub');
    await connection.waitUntilReady(BOOT_CONNECT_TIMEOUT_MS);
    return connection;
  }

  static options(nodeId: string, role: string, offlineQueue: boolean): RedisOptions {
    return {
      connectionName: `palaver:${nodeId}:${role}`,
      enableOfflineQueue: offlineQueue,
      // Queued commands (subscriber only) wait for the reconnect instead of failing after N attempts.
      maxRetriesPerRequest: offlineQueue ? null : 1,
      commandTimeout: offlineQueue ? undefined : COMMAND_TIMEOUT_MS,
      retryStrategy: reconnectDelayMs,
      // A dead TCP peer (host gone, not just the process) is noticed within seconds.
      keepAlive: 5000,
      connectTimeout: 5000,
    };
  }

  /** True when the command connection can carry commands right now. */
  get ready(): boolean {
    return this.client.status === 'ready';
  }

  /** A new connection to the same Redis with this node's settings; closed with the others on shutdown. */
  duplicate(role: string, offlineQueue: boolean): Redis {
    const redis = new Redis(this.url, RedisConnection.options(this.nodeId, role, offlineQueue));
    this.watch(redis, role);
    this.extra.push(redis);
    return redis;
  }

  /** Round-trip time of a PING, or an error when Redis does not answer within the command timeout. */
  async ping(): Promise<number> {
    const started = performance.now();
    await this.client.ping();
    return Math.round((performance.now() - started) * 100) / 100;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(
      [this.client, this.subscriber, ...this.extra].map(async (redis) => {
        try {
          await redis.quit();
        } catch {
          redis.disconnect();
        }
      }),
    );
  }

  private async waitUntilReady(timeoutMs: number): Promise<void> {
    const ready = (redis: Redis) =>
      redis.status === 'ready'
        ? Promise.resolve()
        : new Promise<void>((resolve) => redis.once('ready', resolve));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const result = await Promise.race([Promise.all([ready(this.client), ready(this.subscriber)]), timedOut]);
    clearTimeout(timer);
    if (result === 'timeout') {
      this.logger.warn(
        `Redis not reachable within ${timeoutMs} ms; serving this node's clients only until it is (readiness: degraded)`,
      );
    }
  }

  private watch(redis: Redis, role: string): void {
    // Without an 'error' listener ioredis prints every failed reconnect; log at most one line per 10 s.
    redis.on('error', (err: Error) => {
      const now = Date.now();
      if (now - this.lastErrorLogAt < 10_000) return;
      this.lastErrorLogAt = now;
      this.logger.warn(`Redis ${role} connection: ${err.message}`);
    });
    redis.on('ready', () => {
      if (this.lastErrorLogAt > 0) this.logger.log(`Redis ${role} connection restored`);
    });
  }
}
