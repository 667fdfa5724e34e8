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

/** Checks both scopes; `addFiles` is 1 when starting an upload (the file count it would add). */
async function check(ctx: Ctx, user: PluginUser, roomId: string, addBytes: number, addFiles: number) {
  for (const [scope, id] of [
    ['user', user.id],
    ['room', roomId],
  ] as const) {
    const limits = limitsFor(ctx.settings, scope, id);
    if (limits.maxBytes === 0 && limits.maxFiles === 0) continue;
    const reason = exceeded(scope, await usage(ctx, scope, id), limits, addBytes, addFiles);
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
  apiVersion: '^1.0.0',
  displayName: 'Storage quotas',
  description: 'Per-user and per-room byte and file-count quotas, enforced while uploads stream.',
  priority: 10,
  permissions: ['kv', 'media.read', 'http.routes'],
  settings: { schema: settingsSchema, defaults: defaultSettings },
  hooks: {
    // The declared size is only a hint (a client may lie); the running count in onChunk is what holds.
    'upload.beforeStart': ({ user, upload }, ctx) =>
      check(ctx, user, upload.roomId, upload.declaredBytes ?? 0, 1),
    'upload.onChunk': ({ user, upload, receivedBytes }, ctx) =>
      check(ctx, user, upload.roomId, receivedBytes, 0),
    'upload.afterComplete': ({ file }, ctx) => add(ctx, file, 1),
    'upload.afterDelete': ({ file }, ctx) => add(ctx, file, -1),
  },
  routes: [
    {
      method: 'GET',
      path: '/usage',
      role: 'admin',
      async handler({ query }, ctx) {
        const [scope, id] = scopeOf(query);
        return { scope, id, usage: await usage(ctx, scope, id), limits: limitsFor(ctx.settings, scope, id) };
      },
    },
    {
      method: 'GET',
      path: '/me',
      role: 'member',
      async handler({ user }, ctx) {
        return { usage: await usage(ctx, 'user', user.id), limits: limitsFor(ctx.settings, 'user', user.id) };
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
