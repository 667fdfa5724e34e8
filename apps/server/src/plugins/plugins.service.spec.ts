import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InProcessClusterBus } from '../cluster/cluster-bus';
import { ValidationFailedError } from '../common/domain-error';
import { HookRunner } from './hook-runner';
import type { PluginContextFactory } from './plugin-context.factory';
import type { PluginCandidate, PluginLoader } from './plugin-loader';
import { PluginMetrics } from './plugin-metrics';
import { PluginRegistry } from './plugin-registry';
import type { PluginsRepository, PluginStateRecord } from './plugins.repository';
import { PluginsService } from './plugins.service';
import type { SanctionsService } from './sanctions.service';

const admin = { id: 'admin-1', username: 'root', role: 'admin' as const, sessionId: 's' };

const counter = {
  id: 'counter',
  version: '1.0.0',
  apiVersion: '^1.0.0',
  permissions: [],
  settings: {
    schema: {
      type: 'object',
      properties: { step: { type: 'integer', minimum: 1 }, label: { type: 'string' } },
      required: ['step', 'label'],
      additionalProperties: false,
    },
    defaults: { step: 1, label: 'count' },
  },
  hooks: { 'message.afterSend': () => undefined },
};

/** The state table of one shared database, seen by every "node" built on it. */
function database(initial: PluginStateRecord[] = []) {
  const states = new Map(initial.map((s) => [s.id, s]));
  const repository = {
    findStates: async () => [...states.values()],
    findState: async (id: string) => states.get(id) ?? null,
    saveState: async (state: PluginStateRecord) => void states.set(state.id, structuredClone(state)),
  } as unknown as PluginsRepository;
  return { states, repository };
}

async function node(repository: PluginsRepository, bus: InProcessClusterBus, candidates: PluginCandidate[]) {
  const registry = new PluginRegistry();
  const runner = new HookRunner(registry, new PluginMetrics());
  const service = new PluginsService(
    { discover: () => candidates } as unknown as PluginLoader,
    registry,
    repository,
    { create: () => ({}) } as unknown as PluginContextFactory,
    runner,
    { load: async () => undefined } as unknown as SanctionsService,
    bus,
  );
  await service.onModuleInit();
  return service;
}

const candidate = (exported: object): PluginCandidate => ({ source: 'test', fallbackId: 'x', exported });

describe('PluginsService', () => {
  it('stores only the settings that differ from the defaults and rejects settings that break the schema', async () => {
    const db = database();
    const service = await node(db.repository, new InProcessClusterBus(), [candidate(counter)]);
    const view = await service.updateSettings(admin, 'counter', { step: 5 });
    assert.deepEqual(view.values, { step: 5, label: 'count' });
    assert.deepEqual(db.states.get('counter')?.settings, { step: 5 });
    assert.equal(db.states.get('counter')?.updatedBy, 'admin-1');
    await assert.rejects(
      service.updateSettings(admin, 'counter', { step: 0 }),
      (err: ValidationFailedError) => {
        assert.equal(err.field, 'settings.step');
        return true;
      },
    );
    assert.deepEqual(service.settings('counter').values, { step: 5, label: 'count' });
  });

  it('runs on defaults, and says why, when saved settings no longer fit the schema', async () => {
    const db = database([
      { id: 'counter', enabled: true, settings: { step: 'two' }, updatedAt: new Date(), updatedBy: null },
    ]);
    const service = await node(db.repository, new InProcessClusterBus(), [candidate(counter)]);
    const summary = service.get('counter');
    assert.equal(summary.status, 'enabled');
    assert.match(summary.reason ?? '', /^saved settings ignored: step must be integer/);
    assert.deepEqual(service.settings('counter').values, { step: 1, label: 'count' });
  });

  it('honours enabledByDefault at first boot and the admin decision afterwards', async () => {
    const db = database();
    const bus = new InProcessClusterBus();
    const quiet = { ...counter, id: 'quiet', enabledByDefault: false };
    const first = await node(db.repository, bus, [candidate(quiet)]);
    assert.equal(first.get('quiet').status, 'disabled');
    await first.setEnabled(admin, 'quiet', true);
    const restarted = await node(db.repository, new InProcessClusterBus(), [candidate(quiet)]);
    assert.equal(restarted.get('quiet').status, 'enabled');
  });

  it('applies a change announced on the bus by another node', async () => {
    const db = database();
    const bus = new InProcessClusterBus();
    const nodeA = await node(db.repository, bus, [candidate(counter)]);
    const nodeB = await node(db.repository, bus, [candidate(counter)]);
    await nodeA.updateSettings(admin, 'counter', { label: 'messages' });
    await nodeA.setEnabled(admin, 'counter', false);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(nodeB.settings('counter').values.label, 'messages');
    assert.equal(nodeB.get('counter').status, 'disabled');
  });

  it('keeps refused plugins visible but never lets them be enabled', async () => {
    const db = database();
    const service = await node(db.repository, new InProcessClusterBus(), [
      candidate({ ...counter, id: 'future', apiVersion: '^3.0.0' }),
      { source: 'broken-dir', fallbackId: 'broken', loadError: 'cannot load: boom' },
    ]);
    assert.deepEqual(
      service.list().map((p) => [p.id, p.status]),
      [
        ['broken', 'failed'],
        ['future', 'refused'],
      ],
    );
    await assert.rejects(service.setEnabled(admin, 'future', true), ValidationFailedError);
  });
});
