import { Logger, OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { BusChannel, BusChannels, BusHandler, ClusterBus } from './cluster-bus';

/** Every bus channel lives under this prefix, apart from the Socket.IO adapter's own channels. */
export const BUS_CHANNEL_PREFIX = 'palaver:bus:';

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
 * Delivery to other nodes is best effort: while Redis is unreachable, publish resolves after local
 * delivery and the remote copy is dropped (logged). Features that must not lose data read it from the
 * database (messages carry per-room sequence numbers); the bus only carries notices.
 */
export class RedisClusterBus extends ClusterBus implements OnApplicationShutdown {
  private readonly logger = new Logger('ClusterBus');
  private readonly handlers = new Map<string, Set<(payload: unknown) => void>>();
  private lastDropLogAt = 0;
  /** Publishes that could not reach Redis (exposed for metrics and tests). */
  droppedRemote = 0;

  constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    private readonly nodeId: string,
  ) {
    super();
    this.subscriber.on('message', this.onRedisMessage);
  }

  async publish<K extends BusChannel>(channel: K, payload: BusChannels[K]): Promise<void> {
    const json = JSON.stringify({ origin: this.nodeId, payload } satisfies BusEnvelope);
    this.deliver(channel as string, (JSON.parse(json) as BusEnvelope).payload);
    try {
      await this.publisher.publish(BUS_CHANNEL_PREFIX + (channel as string), json);
    } catch (err) {
      this.droppedRemote++;
      const now = Date.now();
      if (now - this.lastDropLogAt > 10_000) {
        this.lastDropLogAt = now;
        this.logger.warn(`bus '${channel as string}' not sent to other nodes: ${(err as Error).message}`);
      }
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
