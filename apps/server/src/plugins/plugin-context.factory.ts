import { Injectable, Logger } from '@nestjs/common';
import {
  PluginPermissionError,
  type Permission,
  type PluginContext,
  type PluginKv,
  type PluginReport,
} from '@palaver/plugin-sdk';
import { RateLimitedError } from '../common/domain-error';
import { RateLimiterFactory, type RateLimiter } from '../cluster/rate-limiter.factory';
import type { LoadedPlugin } from './loaded-plugin';
import { PluginHostBackend } from './plugin-host.backend';
import { PluginMetrics } from './plugin-metrics';
import { PluginsRepository } from './plugins.repository';
import { SanctionsService } from './sanctions.service';

const KEY_MAX = 512;
const KV_VALUE_MAX_BYTES = 64 * 1024;

function checkKey(key: unknown): string {
  if (typeof key !== 'string' || key.length === 0 || key.length > KEY_MAX) {
    throw new TypeError(`kv keys are strings of 1-${KEY_MAX} characters`);
  }
  return key;
}

function checkDuration(seconds: number | undefined): Date | null {
  if (seconds === undefined) return null;
  if (!Number.isFinite(seconds) || seconds <= 0)
    throw new TypeError('durationSeconds must be a positive number');
  return new Date(Date.now() + seconds * 1000);
}

/**
 * Builds the host API each plugin receives. Every capability is checked against the permissions the
 * plugin declared; the key-value store and rate-limit keys are namespaced by plugin id.
 */
@Injectable()
export class PluginContextFactory {
  private readonly limiters = new Map<string, RateLimiter>();

  constructor(
    private readonly repository: PluginsRepository,
    private readonly backend: PluginHostBackend,
    private readonly sanctions: SanctionsService,
    private readonly rateLimiters: RateLimiterFactory,
    private readonly metrics: PluginMetrics,
  ) {}

  /** `publishReport` runs the `report.created` hooks (given by the service that owns the HookRunner). */
  create(
    plugin: LoadedPlugin,
    publishReport: (report: PluginReport) => Promise<void>,
  ): PluginContext<unknown> {
    const id = plugin.id;
    const granted = new Set<Permission>((plugin.manifest?.permissions ?? []) as Permission[]);
    const need = (permission: Permission) => {
      if (!granted.has(permission)) throw new PluginPermissionError(id, permission);
    };
    const logger = new Logger(`plugin:${id}`);
    const fmt = (message: string, fields?: Record<string, unknown>) =>
      fields ? `${message} ${JSON.stringify(fields)}` : message;
    const repository = this.repository;

    const kv: PluginKv = {
      async get<T>(key: string) {
        need('kv');
        return (await repository.kvGet(id, checkKey(key), new Date())) as T | undefined;
      },
      async set(key, value, options) {
        need('kv');
        const size = Buffer.byteLength(JSON.stringify(value) ?? '');
        if (size > KV_VALUE_MAX_BYTES)
          throw new TypeError(`kv values are at most ${KV_VALUE_MAX_BYTES} bytes`);
        const ttl = options?.ttlSeconds;
        await repository.kvSet(id, checkKey(key), value, checkDuration(ttl));
      },
      async delete(key) {
        need('kv');
        await repository.kvDelete(id, checkKey(key));
      },
      async list<T>(prefix: string, options?: { limit?: number }) {
        need('kv');
        const limit = Math.min(Math.max(1, Math.floor(options?.limit ?? 100)), 1000);
        return (await repository.kvList(id, String(prefix), limit, new Date())) as Array<{
          key: string;
          value: T;
        }>;
      },
      async increment(key, by) {
        need('kv');
        if (!Number.isFinite(by)) throw new TypeError('increment needs a finite number');
        return repository.kvIncrement(id, checkKey(key), by);
      },
    };

    return {
      pluginId: id,
      get settings() {
        return plugin.settings;
      },
      log: {
        debug: (m, f) => logger.debug(fmt(m, f)),
        info: (m, f) => logger.log(fmt(m, f)),
        warn: (m, f) => logger.warn(fmt(m, f)),
        error: (m, f) => logger.error(fmt(m, f)),
      },
      metrics: {
        increment: (name, by = 1) => this.metrics.pluginEvents.inc({ plugin: id, name: String(name) }, by),
      },
      kv,
      messages: {
        get: async (messageId, options) => {
          need('messages.read');
          return this.backend.getMessage(messageId, options?.readableBy);
        },
        sendSystem: async (roomId, text) => {
          need('messages.send');
          return this.backend.sendSystemMessage(roomId, text, id);
        },
        delete: async (messageId, reason) => {
          need('messages.delete');
          await this.backend.deleteMessage(messageId, reason);
        },
      },
      users: {
        get: async (userId) => {
          need('users.read');
          return this.backend.getUser(userId);
        },
        mute: async (userId, options) => {
          need('users.moderate');
          await this.sanctions.add({
            kind: 'mute',
            userId,
            roomId: options.roomId ?? null,
            until: checkDuration(options.durationSeconds),
            reason: options.reason,
            by: id,
          });
        },
        unmute: async (userId, options) => {
          need('users.moderate');
          await this.sanctions.remove(userId, 'mute', options?.roomId ?? null);
        },
        ban: async (userId, options) => {
          need('users.moderate');
          await this.sanctions.add({
            kind: 'ban',
            userId,
            roomId: null,
            until: checkDuration(options.durationSeconds),
            reason: options.reason,
            by: id,
          });
          await this.backend.disconnectUser(userId, `banned: ${options.reason}`);
        },
        unban: async (userId) => {
          need('users.moderate');
          await this.sanctions.remove(userId, 'ban', null);
        },
        sanctions: async (userId) => {
          need('users.moderate');
          return this.sanctions.list(userId);
        },
      },
      rooms: {
        get: async (roomId) => {
          need('rooms.read');
          return this.backend.getRoom(roomId);
        },
      },
      media: {
        listFiles: async (filter) => {
          need('media.read');
          return this.backend.listFiles(filter);
        },
      },
      rateLimit: {
        consume: async (key, limit) => {
          need('rate-limit');
          const points = Math.floor(limit.points);
          const durationSeconds = Math.floor(limit.durationSeconds);
          if (!(points >= 1 && durationSeconds >= 1)) {
            throw new TypeError('rate limits need points >= 1 and durationSeconds >= 1');
          }
          const limiter = this.limiter(id, points, durationSeconds);
          try {
            await limiter.consume(String(key));
            return { allowed: true, retryAfterMs: 0 };
          } catch (err) {
            if (err instanceof RateLimitedError) return { allowed: false, retryAfterMs: err.retryAfterMs };
            throw err;
          }
        },
      },
      reports: {
        published: async (report) => {
          need('reports.publish');
          await publishReport(report);
        },
      },
    };
  }

  /** One limiter per (plugin, limit) so a settings change starts counting against the new limit. */
  private limiter(pluginId: string, points: number, durationSeconds: number): RateLimiter {
    const keyPrefix = `plugin:${pluginId}:${points}/${durationSeconds}`;
    let limiter = this.limiters.get(keyPrefix);
    if (!limiter) {
      limiter = this.rateLimiters.create({ keyPrefix, points, durationSeconds });
      this.limiters.set(keyPrefix, limiter);
    }
    return limiter;
  }
}
