import { Redis } from 'ioredis';
import {
  combinePresence,
  DEFAULT_PRESENCE_TIMINGS,
  PresenceStatus,
  PresenceStore,
  PresenceTimings,
} from './presence.store';

const PREFIX = 'palaver:presence:';
/** socketId -> JSON ConnectionRecord, for every connection of every node. */
const CONNECTIONS = `${PREFIX}conn`;
/** Every node id that ever registered a connection (to reap crashed nodes' leftovers). */
const NODES = `${PREFIX}nodes`;
const userSockets = (userId: string) => `${PREFIX}user:${userId}`;
const nodeSockets = (nodeId: string) => `${PREFIX}node-conn:${nodeId}`;
/** Exists while the node is alive: set with a TTL by every heartbeat. */
const nodeAlive = (nodeId: string) => `${PREFIX}alive:${nodeId}`;
const typingKey = (roomId: string) => `${PREFIX}typing:${roomId}`;

interface ConnectionRecord {
  userId: string;
  nodeId: string;
  state: 'online' | 'away';
}

function parseRecord(raw: string | null): ConnectionRecord | undefined {
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as ConnectionRecord;
  } catch {
    return undefined;
  }
}

/**
 * Presence in Redis, shared by every node. Node liveness is a key with a TTL (Redis's clock, so node
 * clocks do not matter): when a node dies its key expires within `nodeTtlMs` and from then on every
 * query ignores its connections; the next heartbeat of any node deletes the leftovers. Typing entries
 * are a sorted set per room scored by expiry time (node clocks, so skew between nodes shortens or
 * lengthens an indicator by that skew).
 *
 * Each node also keeps the connections it registered in memory. When a heartbeat finds the node's
 * `alive` key gone (Redis restarted empty, or an outage longer than the TTL), it writes them back, so
 * presence heals within one heartbeat interval without waiting for clients to reconnect.
 *
 * Errors from Redis (down, timeout) propagate: the presence service decides what a failed update means.
 */
export class RedisPresenceStore extends PresenceStore {
  /** socketId -> record, for the connections registered through this instance (this node's). */
  private readonly local = new Map<string, ConnectionRecord>();

  constructor(
    private readonly redis: Redis,
    private readonly timings: PresenceTimings = DEFAULT_PRESENCE_TIMINGS,
  ) {
    super();
  }

  async setOnline(userId: string, socketId: string, nodeId: string): Promise<void> {
    const previous = parseRecord(await this.redis.hget(CONNECTIONS, socketId));
    const record: ConnectionRecord = { userId, nodeId, state: 'online' };
    const tx = this.redis.multi();
    if (previous && previous.userId !== userId) tx.srem(userSockets(previous.userId), socketId);
    if (previous && previous.nodeId !== nodeId) tx.srem(nodeSockets(previous.nodeId), socketId);
    tx.hset(CONNECTIONS, socketId, JSON.stringify(record))
      .sadd(userSockets(userId), socketId)
      .sadd(nodeSockets(nodeId), socketId)
      .sadd(NODES, nodeId)
      .set(nodeAlive(nodeId), '1', 'PX', this.timings.nodeTtlMs);
    this.local.set(socketId, record);
    await tx.exec();
  }

  async setAway(socketId: string): Promise<void> {
    const mine = this.local.get(socketId);
    if (mine) mine.state = 'away';
    const record = parseRecord(await this.redis.hget(CONNECTIONS, socketId));
    if (!record) return;
    // HSETXX does not exist; a connection closed meanwhile could be re-added, so only write if present.
    await this.redis.eval(
      "if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end",
      1,
      CONNECTIONS,
      socketId,
      JSON.stringify({ ...record, state: 'away' } satisfies ConnectionRecord),
    );
  }

  async setOffline(socketId: string): Promise<string | undefined> {
    const mine = this.local.get(socketId);
    this.local.delete(socketId);
    const record = parseRecord(await this.redis.hget(CONNECTIONS, socketId)) ?? mine;
    if (!record) return undefined;
    await this.redis
      .multi()
      .hdel(CONNECTIONS, socketId)
      .srem(userSockets(record.userId), socketId)
      .srem(nodeSockets(record.nodeId), socketId)
      .exec();
    return record.userId;
  }

  async heartbeat(nodeId: string): Promise<void> {
    const previous = await this.redis.set(nodeAlive(nodeId), '1', 'PX', this.timings.nodeTtlMs, 'GET');
    if (previous === null) await this.restoreLocal(nodeId);
    await this.reapDeadNodes();
  }

  async removeNode(nodeId: string): Promise<string[]> {
    for (const [socketId, record] of this.local) if (record.nodeId === nodeId) this.local.delete(socketId);
    const socketIds = await this.redis.smembers(nodeSockets(nodeId));
    const records = socketIds.length > 0 ? await this.redis.hmget(CONNECTIONS, ...socketIds) : [];
    const users = new Set<string>();
    const tx = this.redis.multi();
    socketIds.forEach((socketId, i) => {
      const record = parseRecord(records[i] ?? null);
      tx.hdel(CONNECTIONS, socketId);
      if (record) {
        users.add(record.userId);
        tx.srem(userSockets(record.userId), socketId);
      }
    });
    tx.del(nodeSockets(nodeId), nodeAlive(nodeId)).srem(NODES, nodeId);
    await tx.exec();
    return [...users].sort();
  }

  async statusOf(userIds: readonly string[]): Promise<Record<string, PresenceStatus>> {
    const result: Record<string, PresenceStatus> = {};
    if (userIds.length === 0) return result;
    const pipeline = this.redis.pipeline();
    for (const userId of userIds) pipeline.smembers(userSockets(userId));
    const socketLists = ((await pipeline.exec()) ?? []).map(([, value]) => (value as string[] | null) ?? []);
    const allSockets = socketLists.flat();
    const records = new Map<string, ConnectionRecord>();
    if (allSockets.length > 0) {
      const raw = await this.redis.hmget(CONNECTIONS, ...allSockets);
      allSockets.forEach((socketId, i) => {
        const record = parseRecord(raw[i] ?? null);
        if (record) records.set(socketId, record);
      });
    }
    const alive = await this.aliveNodes([...new Set([...records.values()].map((r) => r.nodeId))]);
    userIds.forEach((userId, i) => {
      const states = (socketLists[i] ?? [])
        .map((socketId) => records.get(socketId))
        .filter((r): r is ConnectionRecord => r !== undefined && alive.has(r.nodeId))
        .map((r) => r.state);
      result[userId] = combinePresence(states);
    });
    return result;
  }

  async onlineUsers(): Promise<string[]> {
    const records = (await this.redis.hvals(CONNECTIONS))
      .map((raw) => parseRecord(raw))
      .filter((r): r is ConnectionRecord => r !== undefined);
    const alive = await this.aliveNodes([...new Set(records.map((r) => r.nodeId))]);
    return [...new Set(records.filter((r) => alive.has(r.nodeId)).map((r) => r.userId))].sort();
  }

  async typing(roomId: string, userId: string, ttlMs: number): Promise<void> {
    const until = Date.now() + ttlMs;
    await this.redis
      .multi()
      .zadd(typingKey(roomId), until, userId)
      // The whole set outlives its newest entry a little; an idle room leaves nothing behind.
      .pexpire(typingKey(roomId), ttlMs + 1000, 'GT')
      .pexpire(typingKey(roomId), ttlMs + 1000, 'NX')
      .exec();
  }

  async stopTyping(roomId: string, userId: string): Promise<boolean> {
    const now = Date.now();
    const [[, until]] = ((await this.redis
      .multi()
      .zscore(typingKey(roomId), userId)
      .zrem(typingKey(roomId), userId)
      .exec()) ?? [[null, null]]) as [[Error | null, string | null]];
    return until !== null && Number(until) > now;
  }

  async typingIn(roomId: string): Promise<string[]> {
    const now = Date.now();
    const [, [, users]] = ((await this.redis
      .multi()
      .zremrangebyscore(typingKey(roomId), '-inf', now)
      .zrangebyscore(typingKey(roomId), `(${now}`, '+inf')
      .exec()) ?? [
      [null, 0],
      [null, []],
    ]) as [[Error | null, number], [Error | null, string[]]];
    return [...users].sort();
  }

  private async aliveNodes(nodeIds: readonly string[]): Promise<Set<string>> {
    if (nodeIds.length === 0) return new Set();
    const flags = await this.redis.mget(...nodeIds.map(nodeAlive));
    return new Set(nodeIds.filter((_, i) => flags[i] !== null));
  }

  /** Writes this node's connections back after Redis lost them. */
  private async restoreLocal(nodeId: string): Promise<void> {
    const mine = [...this.local].filter(([, record]) => record.nodeId === nodeId);
    if (mine.length === 0) return;
    const tx = this.redis.multi();
    for (const [socketId, record] of mine) {
      tx.hset(CONNECTIONS, socketId, JSON.stringify(record))
        .sadd(userSockets(record.userId), socketId)
        .sadd(nodeSockets(nodeId), socketId);
    }
    tx.sadd(NODES, nodeId);
    await tx.exec();
  }

  /** Removes what crashed nodes left behind (their alive key expired); cheap: nodes are few. */
  private async reapDeadNodes(): Promise<void> {
    const nodes = await this.redis.smembers(NODES);
    const alive = await this.aliveNodes(nodes);
    for (const nodeId of nodes) if (!alive.has(nodeId)) await this.removeNode(nodeId);
  }
}
