import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PalaverApiError, PalaverClient } from '@palaver/client';
import { startCluster, TestCluster } from './support/cluster';
import { waitFor } from './support/ports';

const GREETER = `module.exports = {
  id: 'greeter', version: '1.0.0', apiVersion: '^1.0.0', permissions: ['http.routes'],
  settings: {
    schema: { type: 'object', properties: { greeting: { type: 'string', minLength: 1 } }, required: ['greeting'], additionalProperties: false },
    defaults: { greeting: 'hello' },
  },
  routes: [{ method: 'GET', path: '/greet', role: 'member', handler: (_req, ctx) => ({ text: ctx.settings.greeting }) }],
};`;

describe('plugin changes made on one node apply on every node (through the cluster bus)', () => {
  let cluster: TestCluster;
  let pluginsDir: string;
  let admin: PalaverClient;
  let memberOnNode2: PalaverClient;

  before(async () => {
    pluginsDir = await mkdtemp(join(tmpdir(), 'palaver-cluster-plugins-'));
    await mkdir(join(pluginsDir, 'greeter'));
    await writeFile(
      join(pluginsDir, 'greeter', 'package.json'),
      JSON.stringify({ name: 'greeter', version: '1.0.0', main: 'index.js', palaver: { plugin: true } }),
    );
    await writeFile(join(pluginsDir, 'greeter', 'index.js'), GREETER);
    cluster = await startCluster({ nodes: 2, redis: true, env: { PLUGINS_DIR: pluginsDir } });
    // The first account on an empty install is the admin.
    admin = new PalaverClient(cluster.nodes[0]!.url);
    await admin.register(`admin-${randomUUID().slice(0, 6)}`, 'cluster admin password');
    memberOnNode2 = new PalaverClient(cluster.nodes[1]!.url);
    await memberOnNode2.register(`member-${randomUUID().slice(0, 6)}`, 'cluster member password');
  });
  after(async () => {
    await cluster?.close();
    if (pluginsDir) await rm(pluginsDir, { recursive: true, force: true });
  });

  const greetOnNode2 = async () =>
    (await memberOnNode2.http.request<{ text: string }>('GET', '/plugins/greeter/greet')).text;

  it('a settings change saved on node 1 is what node 2 serves next', async () => {
    assert.equal(admin.user?.role, 'admin');
    assert.equal(await greetOnNode2(), 'hello');
    await admin.http.request('PUT', '/admin/plugins/greeter/settings', {
      body: { settings: { greeting: 'bonjour' } },
    });
    await waitFor(
      'node 2 to apply the new settings',
      async () => (await greetOnNode2()) === 'bonjour',
      10_000,
      100,
    );
  });

  it('disabling a plugin on node 1 disables it on node 2, and enabling brings it back', async () => {
    await admin.http.request('POST', '/admin/plugins/greeter/disable');
    await waitFor(
      'node 2 to stop serving the disabled plugin',
      async () => {
        try {
          await greetOnNode2();
          return false;
        } catch (err) {
          return err instanceof PalaverApiError && err.status >= 400 && err.status < 500;
        }
      },
      10_000,
      100,
    );
    await admin.http.request('POST', '/admin/plugins/greeter/enable');
    await waitFor(
      'node 2 to serve the plugin again',
      async () => (await greetOnNode2()) === 'bonjour',
      10_000,
      100,
    );
  });
});
