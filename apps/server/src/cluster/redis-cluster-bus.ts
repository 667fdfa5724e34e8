import { Logger, OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { BusChannel, BusChannels, BusHandler, ClusterBus } from './cluster-bus';

/** Every bus channel lives under this prefix, apart from the Socket.IO adapter's own channels. */
export const BUS_CHANNEL_PREFIX = 'palaver:bus:';

/** Envelopes kept for other nodes while Redis is down (a notice is small; this bounds memory). */
export const MAX_PENDING_REMOTE = 1000;

/**
 * After Redis comes back, held notices wait this long before being sent, so that the other nodes'
 * subscriber connections (reconnect backoff capped at 2 s) have re-subscribed and do receive them.
 */
export const FLUSH_GRACE_MS = 3000;

/** What travels through Redis: the payload plus the node that published it. */
export interface BusEnvelope {
  origin: string;
  payload: unknown;
}

/**
 * The cluster bus over Redis pub/sub (one Redis channel per bus channel, JSON envelopes).
 *
 * A publish is delivered to this node's subscribers directly and to other nodes through Redis; a node
 * ignores its own envelopes when they come back. So local delivery keeps working while Redis is down,
 * and each subscriber gets each message once. Local subscribers receive a JSON copy, exactly what remote
 * ones see (a Date arrives as a string on every node, not only on the others).
 *
 * While Redis is unreachable, publish resolves after local delivery and keeps the envelope in a bounded
 * queue (oldest dropped beyond MAX_PENDING_REMOTE, counted in `droppedRemote`); the queue is sent in
 * order as soon as the connection is ready again. So a revocation or a settings change made during an
 * outage reaches the other nodes late rather than never. Data itself never travels here: messages are
 * read from the database (per-room sequence numbers); the bus only carries notices.
 */
export class RedisClusterBus extends ClusterBus implements OnApplicationShutdown {
  private readonly logger = new Logger('ClusterBus');
  private readonly handlers = new Map<string, Set<(payload: unknown) => void>>();
  private lastDropLogAt = 0;
  /** Envelopes waiting for Redis to come back, oldest first: [redis channel, JSON]. */
  private readonly pending: [string, string][] = [];
  private flushing = false;
  private flushTimer?: NodeJS.Timeout;
  /** Notices that never reached other nodes: pushed out of the full pending queue (metrics, tests). */
  droppedRemote = 0;

  constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    private readonly nodeId: string,
  ) {
    super();
    this.subscriber.on('message', this.onRedisMessage);
    this.publisher.on('ready', this.scheduleFlush);
  }

  /** Notices waiting for Redis to come back. */
  get pendingRemote(): number {
    return this.pending.length;
  }

  async publish<K extends BusChannel>(channel: K, payload: BusChannels[K]): Promise<void> {
    const json = JSON.stringify({ origin: this.nodeId, payload } satisfies BusEnvelope);
    this.deliver(channel as string, (JSON.parse(json) as BusEnvelope).payload);
    const redisChannel = BUS_CHANNEL_PREFIX + (channel as string);
    // Keep order: while older notices wait, a new one waits behind them.
    if (this.pending.length > 0 || this.publisher.status !== 'ready') {
      this.enqueue(redisChannel, json);
      if (this.publisher.status === 'ready') this.scheduleFlush();
      return;
    }
    try {
      await this.publisher.publish(redisChannel, json);
    } catch (err) {
      this.enqueue(redisChannel, json);
      this.logOutage(`bus '${channel as string}' held for other nodes: ${(err as Error).message}`);
    }
  }

  subscribe<K extends BusChannel>(channel: K, handler: BusHandler<K>): () => void {
    const name = channel as string;
    let set = this.handlers.get(name);
    if (!set) {
      set = new Set();
      this.handlers.set(name, set);
      this.subscriber.subscribe(BUS_CHANNEL_PREFIX + name).catch((err: Error) => {
        this.logger.error(`cannot subscribe to bus '${name}': ${err.message}`);
      });
    }
    const entry = handler as (payload: unknown) => void;
    set.add(entry);
    return () => {
      const current = this.handlers.get(name);
      if (!current?.delete(entry) || current.size > 0) return;
      this.handlers.delete(name);
      this.subscriber.unsubscribe(BUS_CHANNEL_PREFIX + name).catch(() => {
        /* the connection is gone; nothing is subscribed either */
      });
    };
  }

  /** Resolves once Redis confirmed every current subscription (tests wait on this before publishing). */
  async subscribed(): Promise<void> {
    const channels = [...this.handlers.keys()].map((name) => BUS_CHANNEL_PREFIX + name);
    if (channels.length > 0) await this.subscriber.subscribe(...channels);
  }

  onApplicationShutdown(): void {
    this.subscriber.off('message', this.onRedisMessage);
    this.publisher.off('ready', this.scheduleFlush);
    clearTimeout(this.flushTimer);
    this.handlers.clear();
  }

  private readonly onRedisMessage = (redisChannel: string, message: string): void => {
    if (!redisChannel.startsWith(BUS_CHANNEL_PREFIX)) return;
    let envelope: BusEnvelope;
    try {
      envelope = JSON.parse(message) as BusEnvelope;
    } catch {
      this.logger.warn(`ignored a malformed bus message on ${redisChannel}`);
      return;
    }
    if (typeof envelope !== 'object' || envelope === null || typeof envelope.origin !== 'string') return;
    if (envelope.origin === this.nodeId) return;
    this.deliver(redisChannel.slice(BUS_CHANNEL_PREFIX.length), envelope.payload);
  };

  private enqueue(redisChannel: string, json: string): void {
    this.pending.push([redisChannel, json]);
    if (this.pending.length > MAX_PENDING_REMOTE) {
      this.pending.shift();
      this.droppedRemote++;
      this.logOutage(`bus queue full (${MAX_PENDING_REMOTE}); the oldest notice was dropped`);
    }
  }

  private readonly scheduleFlush = (): void => {
    if (this.flushTimer || this.pending.length === 0) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      this.flushPending();
    }, FLUSH_GRACE_MS);
    this.flushTimer.unref();
  };

  /** Sends what waited during an outage, in order; stops at the first failure (the next 'ready' resumes). */
  private flushPending(): void {
    if (this.flushing) return;
    this.flushing = true;
    void (async () => {
      try {
        while (this.pending.length > 0 && this.publisher.status === 'ready') {
          const [redisChannel, json] = this.pending[0]!;
          await this.publisher.publish(redisChannel, json);
          this.pending.shift();
        }
      } catch (err) {
        this.logOutage(`bus notices still held: ${(err as Error).message}`);
      } finally {
        this.flushing = false;
      }
    })();
  }

  private logOutage(line: string): void {
    const now = Date.now();
    if (now - this.lastDropLogAt < 10_000) return;
    this.lastDropLogAt = now;
    this.logger.warn(line);
  }

  private deliver(channel: string, payload: unknown): void {
    for (const handler of this.handlers.get(channel) ?? []) {
      // A failing subscriber must not stop delivery to the others.
      try {
        handler(payload);
      } catch (err) {
        this.logger.error(`bus '${channel}' subscriber failed: ${(err as Error).message}`);
      }
    }
  }
}
