import {
  definePlugin,
  PluginError,
  reject,
  type PluginContext,
  type PluginFile,
  type PluginUser,
} from '@palaver/plugin-sdk';
import {
  defaultSettings,
  exceeded,
  limitsFor,
  settingsSchema,
  type QuotaSettings,
  type Scope,
  type Usage,
} from './quota';

export { exceeded, limitsFor, type QuotaSettings, type QuotaLimits, type Usage } from './quota';

type Ctx = PluginContext<QuotaSettings>;

/** Usage is two atomic counters per scope in the plugin's key-value store. */
const bytesKey = (scope: Scope, id: string) => `bytes:${scope}:${id}`;
const filesKey = (scope: Scope, id: string) => `files:${scope}:${id}`;

export async function usage(ctx: Ctx, scope: Scope, id: string): Promise<Usage> {
  const [bytes, files] = await Promise.all([
    ctx.kv.get<number>(bytesKey(scope, id)),
    ctx.kv.get<number>(filesKey(scope, id)),
  ]);
  return { bytes: bytes ?? 0, files: files ?? 0 };
}

async function add(ctx: Ctx, file: PluginFile, sign: 1 | -1): Promise<void> {
  await Promise.all([
    ctx.kv.increment(bytesKey('user', file.ownerId), sign * file.bytes),
    ctx.kv.increment(filesKey('user', file.ownerId), sign),
    ctx.kv.increment(bytesKey('room', file.roomId), sign * file.bytes),
    ctx.kv.increment(filesKey('room', file.roomId), sign),
  ]);
}

/**
 * Uploads still arriving hold a reservation per scope: `pending:<scope>:<id>:<uploadId>` = the bytes
 * received so far. Each chunk writes its own reservation before it reads everyone's, so of two uploads
 * racing for the last bytes of a quota at least one sees both (they cannot both pass). A reservation is let
 * go when its upload completes (its bytes are then counted as stored) or ends without a file
 * (upload.afterFail); one whose node died meanwhile expires after a day.
 */
const pendingPrefix = (scope: Scope, id: string) => `pending:${scope}:${id}:`;
const RESERVATION_TTL_SECONDS = 24 * 60 * 60;
/** Uploads of one user (or room) summed per check; more at once than this are not expected. */
const RESERVATIONS_READ_MAX = 1000;

/** Bytes and count of the scope's uploads still arriving. */
export async function inProgress(ctx: Ctx, scope: Scope, id: string): Promise<Usage> {
  const held = await ctx.kv.list<number>(pendingPrefix(scope, id), { limit: RESERVATIONS_READ_MAX });
  return { bytes: held.reduce((sum, entry) => sum + Number(entry.value), 0), files: held.length };
}

async function releaseReservations(ctx: Ctx, uploadId: string, ownerId: string, roomId: string) {
  await Promise.all([
    ctx.kv.delete(pendingPrefix('user', ownerId) + uploadId),
    ctx.kv.delete(pendingPrefix('room', roomId) + uploadId),
  ]);
}

/**
 * Checks both scopes against stored usage plus the uploads still arriving. Starting an upload
 * (`upload` undefined) adds one file and its declared bytes; a chunk of `upload` first records the
 * upload's running total as its reservation, then counts it with the others (its file included).
 */
async function check(
  ctx: Ctx,
  user: PluginUser,
  roomId: string,
  bytes: number,
  upload?: { uploadId: string },
) {
  for (const [scope, id] of [
    ['user', user.id],
    ['room', roomId],
  ] as const) {
    const limits = limitsFor(ctx.settings, scope, id);
    if (limits.maxBytes === 0 && limits.maxFiles === 0) continue;
    if (upload) {
      await ctx.kv.set(pendingPrefix(scope, id) + upload.uploadId, bytes, {
        ttlSeconds: RESERVATION_TTL_SECONDS,
      });
    }
    const [stored, arriving] = await Promise.all([usage(ctx, scope, id), inProgress(ctx, scope, id)]);
    const used = { bytes: stored.bytes + arriving.bytes, files: stored.files + arriving.files };
    const reason = upload ? exceeded(scope, used, limits, 0, 0) : exceeded(scope, used, limits, bytes, 1);
    if (reason) {
      ctx.metrics.increment('quota.refused');
      return reject(reason, 'payload_too_large');
    }
  }
  return undefined;
}

/** Recounts from the media metadata (completed files) and stores the result. */
async function recompute(ctx: Ctx, scope: Scope, id: string): Promise<Usage> {
  const files = await ctx.media.listFiles(scope === 'user' ? { ownerId: id } : { roomId: id });
  const fresh: Usage = { bytes: files.reduce((sum, f) => sum + f.bytes, 0), files: files.length };
  await ctx.kv.set(bytesKey(scope, id), fresh.bytes);
  await ctx.kv.set(filesKey(scope, id), fresh.files);
  return fresh;
}

const scopeBody = {
  type: 'object',
  properties: {
    userId: { type: 'string', minLength: 1, maxLength: 100 },
    roomId: { type: 'string', minLength: 1, maxLength: 100 },
  },
  additionalProperties: false,
};

function scopeOf(input: { userId?: string; roomId?: string }): [Scope, string] {
  if (input.userId && !input.roomId) return ['user', input.userId];
  if (input.roomId && !input.userId) return ['room', input.roomId];
  throw new PluginError('validation_failed', 'give exactly one of userId or roomId', 'userId');
}

export default definePlugin<QuotaSettings>({
  id: 'storage-quota',
  version: '1.0.0',
  apiVersion: '^1.1.0',
  displayName: 'Storage quotas',
  description: 'Per-user and per-room byte and file-count quotas, enforced while uploads stream.',
  priority: 10,
  permissions: ['kv', 'media.read', 'http.routes'],
  settings: { schema: settingsSchema, defaults: defaultSettings },
  hooks: {
    // The declared size is only a hint (a client may lie); the running count in onChunk is what holds.
    'upload.beforeStart': ({ user, upload }, ctx) =>
      check(ctx, user, upload.roomId, upload.declaredBytes ?? 0),
    'upload.onChunk': ({ user, upload, receivedBytes }, ctx) =>
      check(ctx, user, upload.roomId, receivedBytes, upload),
    'upload.afterComplete': async ({ file }, ctx) => {
      // Counted as stored before the reservation goes, so the bytes are never in neither.
      await add(ctx, file, 1);
      await releaseReservations(ctx, file.id, file.ownerId, file.roomId);
    },
    'upload.afterFail': ({ upload }, ctx) =>
      releaseReservations(ctx, upload.uploadId, upload.ownerId, upload.roomId),
    'upload.afterDelete': ({ file }, ctx) => add(ctx, file, -1),
  },
  routes: [
    {
      method: 'GET',
      path: '/usage',
      role: 'admin',
      async handler({ query }, ctx) {
        const [scope, id] = scopeOf(query);
        return {
          scope,
          id,
          usage: await usage(ctx, scope, id),
          inProgress: await inProgress(ctx, scope, id),
          limits: limitsFor(ctx.settings, scope, id),
        };
      },
    },
    {
      method: 'GET',
      path: '/me',
      role: 'member',
      async handler({ user }, ctx) {
        return {
          usage: await usage(ctx, 'user', user.id),
          inProgress: await inProgress(ctx, 'user', user.id),
          limits: limitsFor(ctx.settings, 'user', user.id),
        };
      },
    },
    {
      method: 'POST',
      path: '/recompute',
      role: 'admin',
      body: scopeBody,
      async handler({ body }, ctx) {
        const [scope, id] = scopeOf(body as { userId?: string; roomId?: string });
        return { scope, id, usage: await recompute(ctx, scope, id) };
      },
    },
  ],
});
