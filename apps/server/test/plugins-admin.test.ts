import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { PalaverApiError } from '@palaver/client';
import { writePluginsDir } from './support/plugin-fixtures';
import { registerUser, startTestServer, type TestServer, type TestUserClient } from './utils';

interface Summary {
  id: string;
  status: string;
  reason?: string;
  hooks: string[];
  counters: { calls: number; errors: number; timeouts: number };
  recentFailures: Array<{ hook: string; kind: string; message: string }>;
}

const GREETER = `module.exports = {
  id: 'greeter', version: '1.0.0', apiVersion: '^1.0.0', permissions: ['http.routes', 'kv'],
  settings: {
    schema: { type: 'object', properties: { greeting: { type: 'string', minLength: 1 }, times: { type: 'integer', minimum: 1 } },
              required: ['greeting', 'times'], additionalProperties: false },
    defaults: { greeting: 'hello', times: 1 },
  },
  routes: [
    { method: 'GET', path: '/greet', role: 'member', handler: ({ user }, ctx) => ({ text: (ctx.settings.greeting + ' ').repeat(ctx.settings.times) + user.username }) },
    { method: 'POST', path: '/notes/:key', role: 'member', body: { type: 'object', properties: { note: { type: 'string' } }, required: ['note'], additionalProperties: false },
      handler: async ({ params, body }, ctx) => { await ctx.kv.set(params.key, body.note); return { stored: await ctx.kv.get(params.key) }; } },
    { method: 'GET', path: '/admin-only', role: 'admin', handler: () => ({ ok: true }) },
    { method: 'GET', path: '/forbidden-call', role: 'member', handler: (_req, ctx) => ctx.users.ban('x', { reason: 'no permission' }) },
  ],
};`;

describe('plugin host: loading and the admin API', () => {
  let server: TestServer;
  let pluginsDir: string;
  let admin: TestUserClient;
  let member: TestUserClient;

  before(async () => {
    pluginsDir = await writePluginsDir({
      greeter: GREETER,
      future: `module.exports = { id: 'future', version: '1.0.0', apiVersion: '^2.0.0', permissions: [] };`,
      crashing: `throw new Error('cannot start: missing thing');`,
      'bad-manifest': `module.exports = { id: 'bad-manifest', version: 'one', apiVersion: '^1.0.0', permissions: [] };`,
    });
    server = await startTestServer({ env: { PLUGINS_DIR: pluginsDir } });
    admin = await registerUser(server);
    member = await registerUser(server);
  });

  after(async () => {
    await server?.close();
    if (pluginsDir) await rm(pluginsDir, { recursive: true, force: true });
  });

  const list = async () =>
    (await admin.http.request<{ plugins: Summary[] }>('GET', '/admin/plugins')).plugins;

  it('loads valid plugins and lists refused and broken ones with a one-line reason', async () => {
    const plugins = await list();
    const byId = new Map(plugins.map((p) => [p.id, p]));
    assert.equal(byId.get('greeter')?.status, 'enabled');
    assert.equal(byId.get('future')?.status, 'refused');
    assert.equal(
      byId.get('future')?.reason,
      'apiVersion: plugin requires Plugin API ^2.0.0, this server provides 1.1.0',
    );
    assert.equal(byId.get('crashing')?.status, 'failed');
    assert.match(byId.get('crashing')?.reason ?? '', /^cannot load: cannot start: missing thing$/);
    assert.equal(byId.get('bad-manifest')?.status, 'refused');
    assert.match(byId.get('bad-manifest')?.reason ?? '', /^version: /);
  });

  it('serves the admin API to admins only', async () => {
    await assert.rejects(
      member.http.request('GET', '/admin/plugins'),
      (err: PalaverApiError) => err.status === 403,
    );
  });

  it('applies a settings change at once, without a restart, and rejects settings that break the schema', async () => {
    assert.equal(
      (await member.http.request<{ text: string }>('GET', '/plugins/greeter/greet')).text,
      `hello ${member.user!.username}`,
    );
    await admin.http.request('PUT', '/admin/plugins/greeter/settings', {
      body: { settings: { greeting: 'hi', times: 2 } },
    });
    assert.equal(
      (await member.http.request<{ text: string }>('GET', '/plugins/greeter/greet')).text,
      `hi hi ${member.user!.username}`,
    );

    await assert.rejects(
      admin.http.request('PUT', '/admin/plugins/greeter/settings', {
        body: { settings: { greeting: 'hi', times: 0 } },
      }),
      (err: PalaverApiError) =>
        err.status === 400 && err.field === 'settings.times' && /must be >= 1/.test(err.message),
    );
    const view = await admin.http.request<{ values: unknown; defaults: unknown }>(
      'GET',
      '/admin/plugins/greeter/settings',
    );
    assert.deepEqual(view.values, { greeting: 'hi', times: 2 });
    assert.deepEqual(view.defaults, { greeting: 'hello', times: 1 });
  });

  it('validates route bodies against the declared schema and keeps a private key-value store', async () => {
    const res = await member.http.request<{ stored: string }>('POST', '/plugins/greeter/notes/a', {
      body: { note: 'x' },
    });
    assert.equal(res.stored, 'x');
    await assert.rejects(
      member.http.request('POST', '/plugins/greeter/notes/a', { body: { note: 5 } }),
      (err: PalaverApiError) => err.status === 400 && err.field === 'note',
    );
    await assert.rejects(
      member.http.request('GET', '/plugins/greeter/admin-only'),
      (err: PalaverApiError) => err.status === 403,
    );
    await assert.rejects(
      member.http.request('GET', '/plugins/greeter/nowhere'),
      (err: PalaverApiError) => err.status === 404,
    );
  });

  it('refuses host API calls outside the declared permissions', async () => {
    await assert.rejects(
      member.http.request('GET', '/plugins/greeter/forbidden-call'),
      (err: PalaverApiError) => err.status === 500,
    );
  });

  it('disables and re-enables a plugin at run time', async () => {
    await admin.http.request('POST', '/admin/plugins/greeter/disable');
    assert.equal((await list()).find((p) => p.id === 'greeter')?.status, 'disabled');
    await assert.rejects(
      member.http.request('GET', '/plugins/greeter/greet'),
      (err: PalaverApiError) => err.status === 404,
    );
    await admin.http.request('POST', '/admin/plugins/greeter/enable');
    assert.ok(await member.http.request('GET', '/plugins/greeter/greet'));
    await assert.rejects(
      admin.http.request('POST', '/admin/plugins/future/enable'),
      (err: PalaverApiError) => err.status === 400,
    );
    await assert.rejects(
      admin.http.request('POST', '/admin/plugins/nope/enable'),
      (err: PalaverApiError) => err.status === 404,
    );
  });
});
