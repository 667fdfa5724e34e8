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
});
