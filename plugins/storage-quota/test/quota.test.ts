import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkPlugin, type PluginContext } from '@palaver/plugin-sdk';
import plugin, { exceeded, limitsFor, type QuotaSettings } from '../src/index';

const settings: QuotaSettings = {
  defaultUser: { maxBytes: 1000, maxFiles: 2 },
  defaultRoom: { maxBytes: 0, maxFiles: 0 },
  users: { vip: { maxBytes: 0, maxFiles: 0 } },
  rooms: { small: { maxBytes: 10, maxFiles: 0 } },
};

function fakeContext() {
  const kv = new Map<string, unknown>();
  const ctx = {
    settings,
    metrics: { increment: () => undefined },
    kv: {
      get: async (k: string) => kv.get(k),
      set: async (k: string, v: unknown) => void kv.set(k, v),
      delete: async (k: string) => void kv.delete(k),
      list: async (prefix: string) =>
        [...kv.entries()]
          .filter(([k]) => k.startsWith(prefix))
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([key, value]) => ({ key, value })),
      increment: async (k: string, by: number) => {
        const n = ((kv.get(k) as number) ?? 0) + by;
        kv.set(k, n);
        return n;
      },
    },
  } as unknown as PluginContext<QuotaSettings>;
  return { ctx, kv };
}

const user = { id: 'u1', username: 'ann', role: 'member' as const };
const upload = { uploadId: 'm1', roomId: 'r1', filename: 'a.bin', contentType: 'application/octet-stream' };
type Hook = (p: unknown, c: PluginContext<QuotaSettings>) => Promise<unknown>;
const hook = (name: string) => (plugin.hooks as Record<string, Hook>)[name];

describe('storage-quota', () => {
  it('passes the host manifest check', () => {
    const result = checkPlugin(plugin);
    assert.ok(result.ok, result.ok ? '' : result.reason);
  });

  it('picks overrides before defaults and treats 0 as unlimited', () => {
    assert.deepEqual(limitsFor(settings, 'user', 'vip'), { maxBytes: 0, maxFiles: 0 });
    assert.deepEqual(limitsFor(settings, 'room', 'small'), { maxBytes: 10, maxFiles: 0 });
    assert.equal(exceeded('user', { bytes: 0, files: 0 }, { maxBytes: 0, maxFiles: 0 }, 1e12, 1), undefined);
  });

  it('allows up to the exact byte of the quota and refuses the byte after it', async () => {
    const { ctx } = fakeContext();
    await hook('upload.afterComplete')(
      { user, file: { id: 'f0', roomId: 'r1', ownerId: 'u1', filename: 'x', contentType: 'x', bytes: 400 } },
      ctx,
    );
    assert.equal(
      await hook('upload.onChunk')({ user, upload, chunkBytes: 600, receivedBytes: 600 }, ctx),
      undefined,
    );
    const over = (await hook('upload.onChunk')({ user, upload, chunkBytes: 1, receivedBytes: 601 }, ctx)) as {
      action: string;
      code: string;
    };
    assert.equal(over.action, 'reject');
    assert.equal(over.code, 'payload_too_large');
  });

  it('counts files, refuses starting one past the file quota, and gives usage back on delete', async () => {
    const { ctx, kv } = fakeContext();
    const file = (id: string) => ({
      id,
      roomId: 'r1',
      ownerId: 'u1',
      filename: id,
      contentType: 'x',
      bytes: 10,
    });
    await hook('upload.afterComplete')({ user, file: file('a') }, ctx);
    await hook('upload.afterComplete')({ user, file: file('b') }, ctx);
    assert.equal(
      ((await hook('upload.beforeStart')({ user, upload }, ctx)) as { action: string }).action,
      'reject',
    );
    await hook('upload.afterDelete')({ file: file('a') }, ctx);
    assert.equal(await hook('upload.beforeStart')({ user, upload }, ctx), undefined);
    assert.equal(kv.get('bytes:user:u1'), 10);
    assert.equal(kv.get('files:room:r1'), 1);
  });

  it('counts the bytes of uploads still arriving, so two at once cannot pass the quota together', async () => {
    const { ctx } = fakeContext();
    const a = { ...upload, uploadId: 'a' };
    const b = { ...upload, uploadId: 'b' };
    const chunk = (u: typeof upload, receivedBytes: number) =>
      hook('upload.onChunk')({ user, upload: u, chunkBytes: 100, receivedBytes }, ctx) as Promise<
        { action: string } | undefined
      >;
    assert.equal(await chunk(a, 600), undefined);
    // Each alone is under 1000 bytes; together they are not.
    assert.equal((await chunk(b, 500))?.action, 'reject');
    await hook('upload.afterFail')(
      { upload: { uploadId: 'b', roomId: 'r1', ownerId: 'u1' }, reason: 'rejected' },
      ctx,
    );
    assert.equal(await chunk(b, 400), undefined, 'the refused upload gave its reservation back');
    await hook('upload.afterFail')(
      { upload: { uploadId: 'b', roomId: 'r1', ownerId: 'u1' }, reason: 'aborted' },
      ctx,
    );
    // Completing counts the file as stored and ends its reservation: 600 stored, 400 left.
    await hook('upload.afterComplete')(
      { user, file: { id: 'a', roomId: 'r1', ownerId: 'u1', filename: 'a', contentType: 'x', bytes: 600 } },
      ctx,
    );
    assert.equal(await chunk(b, 400), undefined);
    assert.equal((await chunk(b, 401))?.action, 'reject');
  });

  it('counts uploads still arriving as files when another one starts', async () => {
    const { ctx } = fakeContext();
    const start = () =>
      hook('upload.beforeStart')({ user, upload }, ctx) as Promise<{ action: string } | undefined>;
    await hook('upload.onChunk')(
      { user, upload: { ...upload, uploadId: 'x' }, chunkBytes: 1, receivedBytes: 1 },
      ctx,
    );
    assert.equal(await start(), undefined, 'one arriving, one starting: two files');
    await hook('upload.onChunk')(
      { user, upload: { ...upload, uploadId: 'y' }, chunkBytes: 1, receivedBytes: 1 },
      ctx,
    );
    assert.equal((await start())?.action, 'reject', 'a third file would pass maxFiles 2');
  });
});
