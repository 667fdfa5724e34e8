import type { PluginFile, PluginMessage, PluginReport, PluginUser } from './hooks';

/**
 * What a plugin may ask the host for. Each capability beyond logging, metrics and its own settings needs a
 * permission declared in the plugin definition; calling a method without it throws PluginPermissionError.
 */
export const PERMISSIONS = [
  'messages.read',
  'messages.send',
  'messages.delete',
  'users.read',
  'users.moderate',
  'rooms.read',
  'media.read',
  'kv',
  'rate-limit',
  'reports.publish',
  'http.routes',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export interface PluginLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Counters exported on /metrics as `palaver_plugin_events_total{plugin, name}`. */
export interface PluginMetrics {
  increment(name: string, by?: number): void;
}

/** A key-value store private to the plugin (values are JSON). Needs `kv`. */
export interface PluginKv {
  get<T = unknown>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown, options?: { ttlSeconds?: number }): Promise<void>;
  delete(key: string): Promise<void>;
  /** Keys starting with `prefix`, in key order, with their values. */
  list<T = unknown>(prefix: string, options?: { limit?: number }): Promise<Array<{ key: string; value: T }>>;
  /** Adds `by` to a numeric value atomically and returns the new value. */
  increment(key: string, by: number): Promise<number>;
}

export interface PluginUserInfo {
  id: string;
  username: string;
  role: 'admin' | 'moderator' | 'member';
  createdAt: string;
}

export interface PluginRoomInfo {
  id: string;
  name: string;
}

export interface Sanction {
  kind: 'mute' | 'ban';
  userId: string;
  /** Mutes may be limited to one room; bans are install-wide. */
  roomId?: string;
  until?: string;
  reason: string;
  by: string;
}

/** The host API handed to every hook and route. */
export interface PluginContext<S = Record<string, unknown>> {
  readonly pluginId: string;
  /** The current settings (defaults merged with what admins saved); re-read on every call. */
  readonly settings: Readonly<S>;
  readonly log: PluginLogger;
  readonly metrics: PluginMetrics;
  readonly kv: PluginKv;
  readonly messages: {
    /**
     * A message by id, or undefined. Needs `messages.read`. With `readableBy`, also undefined unless that
     * user may read the message's room — use it when acting on a user's request (a report, a lookup), so
     * a plugin route never tells a user about a message in a room they cannot see.
     */
    get(messageId: string, options?: { readableBy?: PluginUser }): Promise<PluginMessage | undefined>;
    /** Posts a message authored by the system in a room. Needs `messages.send`. */
    sendSystem(roomId: string, text: string): Promise<{ id: string }>;
    /** Deletes a message for everyone. Needs `messages.delete`. */
    delete(messageId: string, reason: string): Promise<void>;
  };
  readonly users: {
    /** Needs `users.read`. */
    get(userId: string): Promise<PluginUserInfo | undefined>;
    /** A muted user cannot post (in `roomId`, or anywhere). Needs `users.moderate`. */
    mute(
      userId: string,
      options: { roomId?: string; durationSeconds?: number; reason: string },
    ): Promise<void>;
    unmute(userId: string, options?: { roomId?: string }): Promise<void>;
    /** A banned user is disconnected and cannot log in, join or post. Needs `users.moderate`. */
    ban(userId: string, options: { durationSeconds?: number; reason: string }): Promise<void>;
    unban(userId: string): Promise<void>;
    sanctions(userId: string): Promise<Sanction[]>;
  };
  readonly rooms: {
    /** Needs `rooms.read`. */
    get(roomId: string): Promise<PluginRoomInfo | undefined>;
  };
  readonly media: {
    /** Completed files (GridFS metadata), for recomputing usage. Needs `media.read`. */
    listFiles(filter: { ownerId?: string; roomId?: string }): Promise<PluginFile[]>;
  };
  /**
   * Counts an event against a cluster-wide limit (`points` per `durationSeconds` per key).
   * Needs `rate-limit`.
   */
  readonly rateLimit: {
    consume(
      key: string,
      limit: { points: number; durationSeconds: number },
    ): Promise<{ allowed: boolean; retryAfterMs: number }>;
  };
  readonly reports: {
    /** Runs every plugin's `report.created` hook. Needs `reports.publish`. */
    published(report: PluginReport): Promise<void>;
  };
}

/** Thrown by the host when a plugin calls something its permissions do not cover. */
export class PluginPermissionError extends Error {
  override name = 'PluginPermissionError';
  constructor(
    readonly pluginId: string,
    readonly permission: Permission,
  ) {
    super(`plugin ${pluginId} lacks the '${permission}' permission`);
  }
}

/** Thrown by route handlers to answer with a client error instead of a 500. */
export class PluginError extends Error {
  override name = 'PluginError';
  constructor(
    readonly code: 'validation_failed' | 'forbidden' | 'not_found' | 'conflict' | 'rejected',
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}
