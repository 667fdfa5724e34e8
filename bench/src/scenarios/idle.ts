import { readFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { growthPerConnection, heapByType, type TypeGrowth } from '../heap-snapshot-summary';
import { GeneratorClient } from '../generator-client';
import {
  checkGoal,
  formatBytes,
  formatNumber,
  formatRatio,
  goalsTable,
  markdownTable,
  ratio,
} from '../report-format';
import type { MemorySample, RunningTarget, TargetName } from '../targets/bench-target';
import type { Scenario, ScenarioOptions, ScenarioOutput } from './scenario';

export interface IdleTargetResult {
  target: TargetName;
  connected: number;
  connectSeconds: number;
  /** Server CPU (process tree) spent while the connections were opened: handshakes, auth, joins. */
  connectCpuSeconds?: number;
  before?: MemorySample;
  after?: MemorySample;
  heapPerConnection?: number;
  rssPerConnection?: number;
  /** With --profile: what the heap grew by per connection, per constructor (from two heap snapshots). */
  heapGrowthByType?: TypeGrowth[];
  /** Server CPU (cores) while the connections sat idle for settleMs: timers, pings, heartbeats. */
  idleCores?: number;
  error?: string;
}

/** The soft limit on open files, which both the server and the generator inherit. */
export function openFileLimit(limitsText = readFileSync('/proc/self/limits', 'utf8')): number {
  const match = /^Max open files\s+(\d+|unlimited)/m.exec(limitsText);
  if (!match) return 1024;
  return match[1] === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(match[1]);
}

async function snapshotTypes(target: RunningTarget, dir: string, label: string) {
  const path = await target.heapSnapshot(join(dir, `${target.name}-${label}.heapsnapshot`));
  const types = heapByType(JSON.parse(await readFile(path, 'utf8')) as Parameters<typeof heapByType>[0]);
  await rm(path, { force: true }); // hundreds of MB each; the table is what is kept
  return types;
}

async function measureTarget(
  options: ScenarioOptions,
  target: RunningTarget,
  settleMs: number,
): Promise<IdleTargetResult> {
  const result: IdleTargetResult = { target: target.name, connected: 0, connectSeconds: 0 };
  const generator = GeneratorClient.start();
  try {
    result.before = await target.memory();
    const typesBefore = options.profileDir
      ? await snapshotTypes(target, options.profileDir, 'before')
      : undefined;
    // The connect phase is where Palaver's handshakes (auth, lookups, joins) cost CPU.
    if (options.profileDir) await target.startProfile();
    const connectCpuBefore = target.cpuSeconds();
    const connect = await generator.connect({
      kind: target.kind,
      codec: target.codec,
      connections: target.connections,
      concurrency: 50,
      timeoutMs: 30_000,
    });
    result.connectCpuSeconds = target.cpuSeconds() - connectCpuBefore;
    if (options.profileDir) {
      const path = await target.stopProfile(join(options.profileDir, `${target.name}-connect.cpuprofile`));
      options.log(`  ${target.name}: CPU profile of the connect phase in ${path}`);
    }
    result.connected = connect.connected;
    result.connectSeconds = connect.seconds;
    if (connect.failed > 0) options.log(`  ${target.name}: ${connect.failed} failed (${connect.firstError})`);
    // And the idle phase, where nothing should run but Socket.IO's pings.
    if (options.profileDir) await target.startProfile();
    const idleCpuBefore = target.cpuSeconds();
    await new Promise((resolve) => setTimeout(resolve, settleMs));
    result.idleCores = (target.cpuSeconds() - idleCpuBefore) / (settleMs / 1000);
    if (options.profileDir) {
      await target.stopProfile(join(options.profileDir, `${target.name}-idle.cpuprofile`));
    }
    result.after = await target.memory();
    if (typesBefore && options.profileDir && connect.connected > 0) {
      const typesAfter = await snapshotTypes(target, options.profileDir, 'after');
      result.heapGrowthByType = growthPerConnection(typesBefore, typesAfter, connect.connected);
    }
    if (result.connected > 0) {
      const heapBefore = result.before.heapUsedBytes;
      const heapAfter = result.after.heapUsedBytes;
      if (heapBefore !== undefined && heapAfter !== undefined) {
        result.heapPerConnection = (heapAfter - heapBefore) / result.connected;
      }
      result.rssPerConnection = (result.after.rssBytes - result.before.rssBytes) / result.connected;
    }
    options.log(
      `  ${target.name}: ${result.connected} idle connections in ${connect.seconds.toFixed(1)} s ` +
        `(server CPU ${result.connectCpuSeconds.toFixed(1)} s); ` +
        `heap/conn ${formatBytes(result.heapPerConnection)}, RSS/conn ${formatBytes(result.rssPerConnection)}`,
    );
    await generator.disconnect();
  } catch (error) {
    result.error = error instanceof Error ? error.message : String(error);
    options.log(`  ${target.name} failed: ${result.error}`);
  } finally {
    await generator.stop();
  }
  return result;
}

function cpuMsPerHandshake(result: IdleTargetResult): number | undefined {
  if (result.connectCpuSeconds === undefined || result.connected === 0) return undefined;
  return (result.connectCpuSeconds * 1000) / result.connected;
}

async function runIdle(options: ScenarioOptions): Promise<ScenarioOutput<{ targets: IdleTargetResult[] }>> {
  const notes: string[] = [];
  const requested = options.overrides.connections ?? (options.quick ? 1000 : 10000);
  const limit = openFileLimit();
  // Each side holds one descriptor per connection plus its own files and listeners.
  let connections = requested;
  if (limit < requested + 256) {
    connections = Math.max(100, limit - 256);
    const note =
      `open-file limit (ulimit -n) is ${limit}: measuring ${connections} connections instead of ${requested}; ` +
      `raise it first (\`ulimit -n ${requested + 1024}\`, needs the hard limit; see docs/performance.md)`;
    notes.push(note);
    options.log(note);
  }
  const rooms = options.overrides.rooms ?? 10;
  const settleMs = options.overrides.settleMs ?? 2000;
  const results: IdleTargetResult[] = [];
  for (const target of options.targets) {
    options.log(`${target.name}: starting (${connections} idle connections)`);
    let running: RunningTarget | undefined;
    try {
      running = await target.start({
        connections,
        rooms,
        users: options.overrides.users,
      });
      results.push(await measureTarget(options, running, settleMs));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      options.log(`  ${target.name} could not start: ${message}`);
      results.push({ target: target.name, connected: 0, connectSeconds: 0, error: message });
    } finally {
      await running?.stop();
    }
  }
  if (options.profileDir) {
    notes.push(
      '--profile: heap snapshots before and after connecting give the growth by type; writing them ' +
        'inflates RSS, so the RSS column of a --profile run is not comparable. The CPU profiles cover the ' +
        'connect phase and the idle phase (profiling slows both: connect times and idle cores of a --profile ' +
        'run are not comparable either).',
    );
  }
  notes.push(
    'Heap is V8 heapUsed after two forced GCs (the server runs with --expose-gc and a preloaded probe), ' +
      'measured before and after connecting; RSS is VmRSS of the server process tree. Palaver connections ' +
      'are authenticated (access token in the handshake) and members of one room each.',
  );
  const bare = results.find((r) => r.target === 'bare-socketio');
  const palaver = results.find((r) => r.target === 'palaver');
  const table = markdownTable(
    [
      'target',
      'connections',
      'connect s',
      'server CPU ms per handshake',
      '÷ bare socket.io',
      'heap before',
      'heap after',
      'heap per connection',
      '÷ bare socket.io',
      'RSS per connection',
      '÷ bare socket.io',
      'server cores while idle',
    ],
    results.map((r) => [
      r.target,
      r.error ? `failed: ${r.error}` : formatNumber(r.connected),
      formatNumber(r.connectSeconds),
      formatNumber(cpuMsPerHandshake(r)),
      formatRatio(ratio(cpuMsPerHandshake(r), bare && cpuMsPerHandshake(bare))),
      formatBytes(r.before?.heapUsedBytes),
      formatBytes(r.after?.heapUsedBytes),
      formatBytes(r.heapPerConnection),
      formatRatio(ratio(r.heapPerConnection, bare?.heapPerConnection)),
      formatBytes(r.rssPerConnection),
      formatRatio(ratio(r.rssPerConnection, bare?.rssPerConnection)),
      r.idleCores === undefined ? '—' : r.idleCores.toFixed(3),
    ]),
  );
  const goals = goalsTable([
    checkGoal(
      'heap per idle authenticated connection ≤ 1.2 × bare Socket.IO',
      ratio(palaver?.heapPerConnection, bare?.heapPerConnection),
      '<=',
      1.2,
      (v) => `${v.toFixed(2)}×`,
    ),
  ]);
  const growth = results
    .filter((r) => r.heapGrowthByType)
    .map(
      (r) =>
        `#### ${r.target}: heap growth per connection by type\n\n` +
        markdownTable(
          ['constructor / node type', 'objects per connection', 'bytes per connection'],
          r.heapGrowthByType!.map((g) => [
            g.name,
            formatNumber(g.countPerConnection),
            formatNumber(g.bytesPerConnection),
          ]),
        ),
    )
    .join('\n\n');
  return {
    parameters: { connections, requested, rooms, settleMs, openFileLimit: limit },
    notes,
    detail: { targets: results },
    markdown: `### Idle connections\n\n${table}\n\n### Goals\n\n${goals}\n${growth ? `\n${growth}\n` : ''}`,
  };
}

export const idleScenario: Scenario = {
  name: 'idle',
  summary: '10,000 idle connections: server heap and RSS per connection vs bare Socket.IO',
  run: runIdle,
};
