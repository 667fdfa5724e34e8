/**
 * Cost of a plugin hook call, in process (what Palaver does) versus a round trip to a worker thread (the
 * isolation we did not choose). `npm run build && node bench/dist/src/plugins.bench.js [calls]`
 * Prints a Markdown table; docs/plugins.md ("Isolation") quotes a run.
 */
import { definePlugin, modify, type PluginContext, type PluginHooks } from '@palaver/plugin-sdk';
import { HookRunner } from '@palaver/server/dist/src/plugins/hook-runner';
import { newCounters, type LoadedPlugin } from '@palaver/server/dist/src/plugins/loaded-plugin';
import { PluginMetrics } from '@palaver/server/dist/src/plugins/plugin-metrics';
import { PluginRegistry } from '@palaver/server/dist/src/plugins/plugin-registry';
import { Worker } from 'node:worker_threads';
import { describeMachine } from './machine';
import { markdownTable } from './report-format';

const user = { id: 'u1', username: 'ann', role: 'member' as const };

function plugin(id: string, hooks: PluginHooks<unknown>): LoadedPlugin {
  const definition = definePlugin<unknown>({
    id,
    version: '1.0.0',
    apiVersion: '^1.0.0',
    permissions: [],
    hooks,
  });
  return {
    id,
    source: 'bench',
    status: 'enabled',
    definition,
    manifest: { priority: 100 } as LoadedPlugin['manifest'],
    settings: {},
    context: { pluginId: id } as PluginContext<unknown>,
    counters: newCounters(),
    recentFailures: [],
  };
}

function runner(plugins: LoadedPlugin[]): HookRunner {
  const registry = new PluginRegistry();
  for (const p of plugins) registry.add(p);
  return new HookRunner(registry, new PluginMetrics());
}

async function time(calls: number, fn: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < Math.min(1000, calls); i++) await fn(); // warm up
  const start = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) await fn();
  return Number(process.hrtime.bigint() - start) / calls / 1000; // µs per call
}

async function main(): Promise<void> {
  const calls = Number(process.argv[2] ?? 20000);
  const payload = { user, roomId: 'r1', text: 'hello world' };
  const allow = () => undefined;
  const upper = (p: { text: string }) => modify({ text: p.text.toUpperCase() });
  const cases: Array<[string, HookRunner]> = [
    ['no plugins', runner([])],
    ['1 plugin, sync allow', runner([plugin('a', { 'message.beforeSend': allow })])],
    ['1 plugin, async allow', runner([plugin('a', { 'message.beforeSend': async () => undefined })])],
    ['1 plugin, modify', runner([plugin('a', { 'message.beforeSend': upper })])],
    [
      '5 plugins, sync allow',
      runner(['a', 'b', 'c', 'd', 'e'].map((id) => plugin(id, { 'message.beforeSend': allow }))),
    ],
  ];
  const rows: string[][] = [];
  for (const [name, hooks] of cases) {
    const us = await time(calls, () => hooks.gate('message.beforeSend', payload));
    rows.push([`in process: ${name}`, us.toFixed(2)]);
  }

  // The alternative: the same decision made in a worker thread (structured clone both ways).
  const worker = new Worker(
    `const { parentPort } = require('node:worker_threads');
     parentPort.on('message', (m) => parentPort.postMessage({ id: m.id, decision: undefined }));`,
    { eval: true },
  );
  let next = 0;
  const pending = new Map<number, () => void>();
  worker.on('message', (m: { id: number }) => pending.get(m.id)?.());
  const roundTrip = () =>
    new Promise<void>((resolve) => {
      const id = next++;
      pending.set(id, () => {
        pending.delete(id);
        resolve();
      });
      worker.postMessage({ id, hook: 'message.beforeSend', payload });
    });
  rows.push(['worker thread round trip, allow', (await time(calls, roundTrip)).toFixed(2)]);
  await worker.terminate();

  const m = describeMachine();
  console.log(
    `Plugin hook cost, ${calls} calls each; ${m.nproc} × ${m.cpuModel}, node ${m.node}, load ${m.loadAverage}\n`,
  );
  console.log(markdownTable(['case', 'µs per call'], rows));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
