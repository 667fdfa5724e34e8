/** What other members see: online if any of the user's connections is active, away if all are idle. */
export type PresenceStatus = 'online' | 'away' | 'offline';

/** Timings shared by both implementations (and documented in docs/scaling.md). */
export interface PresenceTimings {
  /**
   * A node that has not sent a heartbeat for this long is presumed dead and its connections no longer
   * count. This is the bound on how long a crashed node's users still look online.
   */
  nodeTtlMs: number;
}

export const DEFAULT_PRESENCE_TIMINGS: PresenceTimings = Object.freeze({ nodeTtlMs: 30_000 });
/** Nodes heartbeat this often (a third of the TTL: two missed beats are tolerated). */
export const PRESENCE_HEARTBEAT_INTERVAL_MS = DEFAULT_PRESENCE_TIMINGS.nodeTtlMs / 3;

/**
 * Storage of presence and typing state, and nothing else: the presence service (rules, events,
 * throttling) is built on it. In memory on a single node; in Redis when clustered, so every node sees
 * every user's connections. A user is keyed by connection (socket id), so several devices each count.
 *
 * Liveness: each node calls `heartbeat(nodeId)` every PRESENCE_HEARTBEAT_INTERVAL_MS (ClusterModule
 * does this); connections on a node that stopped beating for `nodeTtlMs` are treated as gone by every
 * query, without anyone having to clean up after the crashed node.
 */
export abstract class PresenceStore {
  /** Records (or refreshes) an active connection; also clears its away flag. Counts as a node heartbeat. */
  abstract setOnline(userId: string, socketId: string, nodeId: string): Promise<void>;
  /** Marks one connection idle; the user is away once every live connection is. No-op if unknown. */
  abstract setAway(socketId: string): Promise<void>;
  /** Forgets a connection (socket closed). Returns the user id it belonged to, if it was known. */
  abstract setOffline(socketId: string): Promise<string | undefined>;
  /** Proves the node is alive. */
  abstract heartbeat(nodeId: string): Promise<void>;
  /** Forgets every connection of a node at once (graceful shutdown). Returns the affected user ids. */
  abstract removeNode(nodeId: string): Promise<string[]>;
  /** Status for each asked user id (unknown users are offline). */
  abstract statusOf(userIds: readonly string[]): Promise<Record<string, PresenceStatus>>;
  /** Every user with at least one live connection (online or away). */
  abstract onlineUsers(): Promise<string[]>;
  /** Records that the user is typing in the room, for ttlMs from now (a later call extends it). */
  abstract typing(roomId: string, userId: string, ttlMs: number): Promise<void>;
  /**
   * Clears the user's typing state in the room (message sent, input cleared); true if they were typing
   * (an entry not yet expired). One call, since every sent message makes it.
   */
  abstract stopTyping(roomId: string, userId: string): Promise<boolean>;
  /** User ids currently typing in the room (expired entries excluded), sorted. */
  abstract typingIn(roomId: string): Promise<string[]>;
}

/** Combines per-connection states into a user's status. */
export function combinePresence(states: readonly ('online' | 'away')[]): PresenceStatus {
  if (states.length === 0) return 'offline';
  return states.includes('online') ? 'online' : 'away';
}
