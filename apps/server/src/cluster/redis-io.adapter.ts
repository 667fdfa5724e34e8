import { INestApplication, Logger } from '@nestjs/common';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { Server, ServerOptions } from 'socket.io';
import { AppConfig } from '../config/app-config';
import { PalaverIoAdapter } from '../realtime/palaver-io.adapter';
import { RedisConnection } from './redis.connection';

/** Prefix of the adapter's Redis channels (`palaver:io#/#room:…`), apart from the bus's `palaver:bus:`. */
export const SOCKET_ADAPTER_KEY = 'palaver:io';

/**
 * Socket.IO over Redis pub/sub (@socket.io/redis-adapter, classic PUBLISH/PSUBSCRIBE; the choice and its
 * measurement are in docs/scaling.md). A room emit on any node reaches the room's sockets on every node;
 * `disconnectSockets`, `fetchSockets` and `socketsJoin` work cluster-wide too (that is how a logout on
 * node A disconnects the user's socket on node B).
 *
 * Message handling is PalaverIoAdapter's (one dispatcher per socket); this class only adds Redis.
 *
 * Redis only fans out: messages are stored in the database first and carry per-room sequence numbers, so
 * an emit lost while Redis is down is recovered by the client's catch-up, never by Redis.
 */
export class RedisIoAdapter extends PalaverIoAdapter {
  private adapterConstructor?: ReturnType<typeof createAdapter>;

  constructor(
    app: INestApplication,
    private readonly redis: RedisConnection,
  ) {
    super(app);
  }

  /** Opens the adapter's two connections; called before `app.listen` (nest sample 02-gateways). */
  async connectToRedis(): Promise<void> {
    const publisher = publishNeverRejects(this.redis.duplicate('io-pub', false));
    const subscriber = this.redis.duplicate('io-sub', true);
    const create = createAdapter(publisher, subscriber, {
      key: SOCKET_ADAPTER_KEY,
      // fetchSockets/serverSideEmit wait this long for other nodes; a dead node must not stall a caller.
      requestsTimeout: 3000,
    });
    // Socket.IO calls this with `new`, so a function (not an arrow) returning the adapter instance.
    this.adapterConstructor = function (nsp: Parameters<typeof create>[0]) {
      return countsOnlyItselfWhenRedisIsDown(create(nsp));
    } as typeof create;
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    const server = super.createIOServer(port, options) as Server;
    if (this.adapterConstructor) server.adapter(this.adapterConstructor);
    return server;
  }
}

/**
 * The adapter fires PUBLISH without awaiting it; with the offline queue off, a publish while Redis is
 * down rejects at once, and an unobserved rejection would end the process. Observe it here: the emit
 * reached this node's sockets, other nodes' members catch up from the database.
 */
function publishNeverRejects(redis: Redis): Redis {
  const logger = new Logger('RedisIoAdapter');
  let lastLogAt = 0;
  const publish = redis.publish.bind(redis) as (...args: unknown[]) => Promise<number>;
  (redis as unknown as { publish: (...args: unknown[]) => Promise<number> }).publish = (...args) => {
    const sent = publish(...args);
    sent.catch((err: Error) => {
      const now = Date.now();
      if (now - lastLogAt < 10_000) return;
      lastLogAt = now;
      logger.warn(`socket broadcast not sent to other nodes: ${err.message}`);
    });
    return sent;
  };
  return redis;
}

/**
 * fetchSockets, allRooms and serverSideEmit first ask Redis how many nodes listen (PUBSUB NUMSUB); while
 * Redis is down that query fails and so would the caller (a logout fetching the user's sockets). Counting
 * only this node instead answers from local sockets, which is all this node can reach anyway.
 */
function countsOnlyItselfWhenRedisIsDown<T extends { serverCount(): Promise<number> }>(adapter: T): T {
  const serverCount = adapter.serverCount.bind(adapter);
  adapter.serverCount = () => serverCount().catch(() => 1);
  return adapter;
}

/**
 * Picks the Socket.IO adapter before the app listens: the Redis adapter when REDIS_URL is set (its
 * connections come from the ClusterModule's RedisConnection and close with it), else Socket.IO's
 * in-memory one; both bind handlers through PalaverIoAdapter. Call it from bootstrap after
 * `NestFactory.create` and before `app.listen`.
 */
export async function configureSocketAdapter(app: INestApplication, config: AppConfig): Promise<void> {
  if (!config.REDIS_URL) {
    app.useWebSocketAdapter(new PalaverIoAdapter(app));
    return;
  }
  const adapter = new RedisIoAdapter(app, app.get(RedisConnection));
  await adapter.connectToRedis();
  app.useWebSocketAdapter(adapter);
}
