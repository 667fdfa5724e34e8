import {
  combinePresence,
  DEFAULT_PRESENCE_TIMINGS,
  PresenceStatus,
  PresenceStore,
  PresenceTimings,
} from './presence.store';

interface Connection {
  userId: string;
  nodeId: string;
  state: 'online' | 'away';
}

/** Presence for a single node (REDIS_URL unset): the same rules as the Redis store, in maps. */
export class MemoryPresenceStore extends PresenceStore {
  private readonly connections = new Map<string, Connection>();
  private readonly socketsByUser = new Map<string, Set<string>>();
  private readonly nodeSeenAt = new Map<string, number>();
  private readonly typingUntil = new Map<string, Map<string, number>>();

  constructor(
    private readonly timings: PresenceTimings = DEFAULT_PRESENCE_TIMINGS,
    private readonly now: () => number = Date.now,
  ) {
    super();
  }

  async setOnline(userId: string, socketId: string, nodeId: string): Promise<void> {
    const previous = this.connections.get(socketId);
    if (previous && previous.userId !== userId) this.forget(socketId, previous.userId);
    this.connections.set(socketId, { userId, nodeId, state: 'online' });
    const sockets = this.socketsByUser.get(userId) ?? new Set();
    sockets.add(socketId);
    this.socketsByUser.set(userId, sockets);
    this.nodeSeenAt.set(nodeId, this.now());
  }

  async setAway(socketId: string): Promise<void> {
    const connection = this.connections.get(socketId);
    if (connection) connection.state = 'away';
  }

  async setOffline(socketId: string): Promise<string | undefined> {
    const connection = this.connections.get(socketId);
    if (!connection) return undefined;
    this.forget(socketId, connection.userId);
    return connection.userId;
  }

  async heartbeat(nodeId: string): Promise<void> {
    this.nodeSeenAt.set(nodeId, this.now());
  }

  async removeNode(nodeId: string): Promise<string[]> {
    const users = new Set<string>();
    for (const [socketId, connection] of this.connections) {
      if (connection.nodeId !== nodeId) continue;
      users.add(connection.userId);
      this.forget(socketId, connection.userId);
    }
    this.nodeSeenAt.delete(nodeId);
    return [...users].sort();
  }

  async statusOf(userIds: readonly string[]): Promise<Record<string, PresenceStatus>> {
    const result: Record<string, PresenceStatus> = {};
    for (const userId of userIds) result[userId] = combinePresence(this.liveStates(userId));
    return result;
  }

  async onlineUsers(): Promise<string[]> {
    return [...this.socketsByUser.keys()].filter((userId) => this.liveStates(userId).length > 0).sort();
  }

  async typing(roomId: string, userId: string, ttlMs: number): Promise<void> {
    const room = this.typingUntil.get(roomId) ?? new Map<string, number>();
    room.set(userId, this.now() + ttlMs);
    this.typingUntil.set(roomId, room);
  }

  async stopTyping(roomId: string, userId: string): Promise<boolean> {
    const room = this.typingUntil.get(roomId);
    const until = room?.get(userId);
    if (!room || until === undefined) return false;
    room.delete(userId);
    if (room.size === 0) this.typingUntil.delete(roomId);
    return until > this.now();
  }

  async typingIn(roomId: string): Promise<string[]> {
    const room = this.typingUntil.get(roomId);
    if (!room) return [];
    const now = this.now();
    for (const [userId, until] of room) if (until <= now) room.delete(userId);
    if (room.size === 0) this.typingUntil.delete(roomId);
    return [...room.keys()].sort();
  }

  private liveStates(userId: string): ('online' | 'away')[] {
    const now = this.now();
    const states: ('online' | 'away')[] = [];
    for (const socketId of this.socketsByUser.get(userId) ?? []) {
      const connection = this.connections.get(socketId);
      if (!connection) continue;
      const seenAt = this.nodeSeenAt.get(connection.nodeId);
      if (seenAt !== undefined && now - seenAt < this.timings.nodeTtlMs) states.push(connection.state);
    }
    return states;
  }

  private forget(socketId: string, userId: string): void {
    this.connections.delete(socketId);
    const sockets = this.socketsByUser.get(userId);
    sockets?.delete(socketId);
    if (sockets?.size === 0) this.socketsByUser.delete(userId);
  }
}
