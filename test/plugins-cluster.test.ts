import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PalaverApiError, PalaverClient, type RoomView } from '@palaver/client';
import { startCluster, type TestCluster } from './support/cluster';
import { waitFor } from './support/ports';

/** The repository's built plugins (moderation, storage-quota, example-roll). */
const PLUGINS_DIR = join(resolve(__dirname, '..', '..'), 'plugins');

interface SettingsView {
  values: { filter: { patterns: string[] }; flood: { messages: number } };
}

describe('plugins across a cluster of two nodes', () => {
  let cluster: TestCluster;
  let adminOn1: PalaverClient;
  let adminOn2: PalaverClient;
  let aliceOn1: PalaverClient;
  let aliceOn2: PalaverClient;
  let room: RoomView;

  before(async () => {
    cluster = await startCluster({ nodes: 2, redis: true, env: { PLUGINS_DIR } });
    const [n1, n2] = cluster.nodes;
    adminOn1 = new PalaverClient(n1!.url);
    await adminOn1.register('plugin-admin', 'correct horse battery');
    adminOn2 = new PalaverClient(n2!.url);
    await adminOn2.login('plugin-admin', 'correct horse battery');
    aliceOn1 = new PalaverClient(n1!.url);
    await aliceOn1.register('alice', 'correct horse battery');
    aliceOn2 = new PalaverClient(n2!.url);
    await aliceOn2.login('alice', 'correct horse battery');
    room = await aliceOn1.rooms.create({ name: 'everywhere', kind: 'public' });
  });

  after(async () => {
    await cluster?.close();
  });

  const settingsOn2 = () => adminOn2.http.request<SettingsView>('GET', '/admin/plugins/moderation/settings');

  it('a settings change made on one node takes effect on the other without a restart', async () => {
    await adminOn1.http.request('PUT', '/admin/plugins/moderation/settings', {
      body: { settings: { filter: { patterns: ['darn'], action: 'mask', rooms: {} } } },
    });
    await waitFor(
      'settings on node 2',
      async () => (await settingsOn2()).values.filter.patterns.includes('darn'),
      10_000,
    );
    const ack = await aliceOn2.messages.send(room.id, 'darn it');
    const stored = (await aliceOn2.messages.history(room.id)).messages.find((m) => m.id === ack.id);
    assert.equal(stored?.text, '**** it');
  });

  it('flood control counts a user’s messages on every node together', async () => {
    await adminOn1.http.request('PUT', '/admin/plugins/moderation/settings', {
      body: { settings: { flood: { messages: 4, perSeconds: 60 } } },
    });
    await waitFor(
      'flood settings on node 2',
      async () => (await settingsOn2()).values.flood.messages === 4,
      10_000,
    );
    await aliceOn1.messages.send(room.id, 'one');
    await aliceOn2.messages.send(room.id, 'two');
    await aliceOn1.messages.send(room.id, 'three');
    await aliceOn2.messages.send(room.id, 'four');
    for (const client of [aliceOn1, aliceOn2]) {
      await assert.rejects(
        client.messages.send(room.id, 'five'),
        (err: PalaverApiError) => err.status === 429,
      );
    }
  });

  it('disabling a plugin on one node stops it on the other', async () => {
    await adminOn1.http.request('POST', '/admin/plugins/moderation/disable');
    await waitFor(
      'moderation disabled on node 2',
      async () =>
        (await adminOn2.http.request<{ status: string }>('GET', '/admin/plugins/moderation')).status ===
        'disabled',
      10_000,
    );
    assert.ok(await aliceOn2.messages.send(room.id, 'darn, no longer limited'));
  });
});
