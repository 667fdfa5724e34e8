/**
 * `npm run bench:cluster [-- --quick] [--part=adapter|palaver]`: what clustering costs and carries, on this machine.
 *
 * Part 1, adapter choice: bare Socket.IO nodes (cluster-socket-node.ts) in one room — one node with the
 * in-memory adapter vs two nodes over @socket.io/redis-adapter (pub/sub) vs two nodes over
 * @socket.io/redis-streams-adapter, same offered load, clients spread over the nodes.
 * Part 2, Palaver: one Palaver node vs two Palaver nodes + Redis (real gateway, real docstore), clients
 * spread over the nodes, messages sent with acks through @palaver/client.
 * Both report delivered msgs/s, latency percentiles and Redis commands per message (INFO commandstats
 * delta), and write bench/results/cluster-<date>.{json,md}. docs/scaling.md quotes a run.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { io } from 'socket.io-client';
import { startRedisServer, type RedisServerHandle } from '@palaver/e2e/dist/support/redis-server';
import { runSaturated, runStage, type FanoutClient, type StageResult } from './cluster-load';
import { palaverTargets } from './cluster-palaver';

export interface ClusterBenchRow {
  part: 'adapter' | 'palaver';
  target: string;
  nodes: number;
  clients: number;
  stage: StageResult;
  redisCommandsPerMessage?: number;
  redisCommands?: Record<string, number>;
}

export interface BenchSettings {
  quick: boolean;
  parts: ('adapter' | 'palaver')[];
  clients: number;
  rates: number[];
  seconds: number;
  /** Palaver part: members sending back to back, each waiting for its ack. */
  saturationSenders: number;
}

function settings(argv: string[]): BenchSettings {
  const quick = argv.includes('--quick');
  const only = argv.find((a) => a.startsWith('--part='))?.slice('--part='.length);
  const parts: BenchSettings['parts'] =
    only === 'adapter' || only === 'palaver' ? [only] : ['adapter', 'palaver'];
  return quick
    ? { quick, parts, clients: 20, rates: [100], seconds: 3, saturationSenders: 4 }
    : { quick, parts, clients: 40, rates: [50, 150, 300], seconds: 8, saturationSenders: 8 };
}

/** Redis command counts between two INFO commandstats snapshots (only commands that ran). */
export function commandDelta(
  before: Record<string, number>,
  after: Record<string, number>,
): Record<string, number> {
  const delta: Record<string, number> = {};
  for (const [name, calls] of Object.entries(after)) {
    const d = calls - (before[name] ?? 0);
    if (d > 0 && name !== 'info') delta[name] = d;
  }
  return delta;
}

async function startSocketNode(
  adapter: string,
  redisUrl?: string,
): Promise<{ url: string; child: ChildProcess }> {
  const child = fork(join(__dirname, 'cluster-socket-node.js'), [], {
    env: { ...process.env, ADAPTER: adapter, ...(redisUrl ? { REDIS_URL: redisUrl } : {}) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${adapter} node did not start in 10 s`)), 10_000);
    child.once('message', (message: { port: number }) => {
      clearTimeout(timer);
      resolve(message.port);
    });
    child.once('exit', (code) => reject(new Error(`${adapter} node exited with ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}`, child };
}

async function connectBareClient(url: string): Promise<FanoutClient> {
  const socket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  let handler: (sentAt: number) => void = () => undefined;
  socket.on('msg', (payload: { t: number }) => handler(payload.t));
  return {
    send: (sentAt) => socket.timeout(5000).emitWithAck('send', { t: sentAt }),
    onDelivery: (h) => {
      handler = h;
    },
    close: () => void socket.disconnect(),
  };
}

async function measure(
  part: ClusterBenchRow['part'],
  target: string,
  nodes: number,
  clients: FanoutClient[],
  config: BenchSettings,
  redis: RedisServerHandle | undefined,
): Promise<ClusterBenchRow[]> {
  const rows: ClusterBenchRow[] = [];
  await runStage(clients, 10, 1); // warm-up: JIT, connections, adapter subscriptions
  // Palaver: closed loop (each sender waits for its ack) finds the capacity; bare Socket.IO: fixed rates.
  const stages: (() => Promise<StageResult>)[] =
    part === 'palaver'
      ? [() => runSaturated(clients, config.saturationSenders, config.seconds)]
      : config.rates.map((rate) => () => runStage(clients, rate, config.seconds));
  for (const runOne of stages) {
    const before = redis ? await redis.commandStats() : {};
    const stage = await runOne();
    const after = redis ? await redis.commandStats() : {};
    const commands = commandDelta(before, after);
    const total = Object.values(commands).reduce((a, b) => a + b, 0);
    const row: ClusterBenchRow = { part, target, nodes, clients: clients.length, stage };
    if (redis) {
      row.redisCommands = commands;
      row.redisCommandsPerMessage = Math.round((total / Math.max(1, stage.sent)) * 100) / 100;
    }
    rows.push(row);
    printRow(row);
  }
  return rows;
}

function printRow(row: ClusterBenchRow): void {
  const s = row.stage;
  process.stdout.write(
    `${row.part.padEnd(7)} ${row.target.padEnd(26)} sent ${String(s.offeredPerSecond).padStart(4)}/s` +
      `  delivered ${String(s.deliveredPerSecond).padStart(6)}/s (${s.deliveries}/${s.expectedDeliveries})` +
      `  p50 ${s.latency.p50} ms  p99 ${s.latency.p99} ms  failed ${s.failed}` +
      (row.redisCommandsPerMessage !== undefined ? `  redis cmds/msg ${row.redisCommandsPerMessage}` : '') +
      '\n',
  );
}

async function adapterComparison(
  config: BenchSettings,
  redis: RedisServerHandle,
): Promise<ClusterBenchRow[]> {
  const rows: ClusterBenchRow[] = [];
  const targets: { name: string; adapter: string; nodes: number }[] = [
    { name: 'socket.io 1 node (memory)', adapter: 'memory', nodes: 1 },
    { name: 'socket.io 2 nodes pubsub', adapter: 'redis-pubsub', nodes: 2 },
    { name: 'socket.io 2 nodes streams', adapter: 'redis-streams', nodes: 2 },
  ];
  for (const target of targets) {
    const nodes = await Promise.all(
      Array.from({ length: target.nodes }, () => startSocketNode(target.adapter, redis.url)),
    );
    const clients: FanoutClient[] = [];
    try {
      for (let i = 0; i < config.clients; i++)
        clients.push(await connectBareClient(nodes[i % nodes.length]!.url));
      rows.push(
        ...(await measure(
          'adapter',
          target.name,
          target.nodes,
          clients,
          config,
          target.nodes > 1 ? redis : undefined,
        )),
      );
    } finally {
      for (const client of clients) await client.close();
      for (const node of nodes) node.child.kill();
    }
  }
  return rows;
}

function markdown(rows: ClusterBenchRow[], config: BenchSettings): string {
  const lines = [
    `# Cluster benchmark (${new Date().toISOString()})`,
    '',
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}; ${config.clients} clients in one room, spread over the nodes; ` +
      `${config.seconds} s per stage; clients run in the benchmark process.`,
    '',
    '| part | target | sent msg/s | delivered/s | deliveries | p50 ms | p99 ms | failed | Redis cmds/msg |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map((r) => {
      const s = r.stage;
      return `| ${r.part} | ${r.target} | ${s.offeredPerSecond} | ${s.deliveredPerSecond} | ${s.deliveries}/${s.expectedDeliveries} | ${s.latency.p50} | ${s.latency.p99} | ${s.failed} | ${r.redisCommandsPerMessage ?? '–'} |`;
    }),
    '',
    'Redis commands per stage:',
    '',
    ...rows
      .filter((r) => r.redisCommands)
      .map((r) => `- ${r.target} @ ${r.stage.offeredPerSecond}/s: ${JSON.stringify(r.redisCommands)}`),
    '',
  ];
  return lines.join('\n');
}

async function main(): Promise<void> {
  const config = settings(process.argv.slice(2));
  const redis = await startRedisServer();
  const rows: ClusterBenchRow[] = [];
  try {
    if (config.parts.includes('adapter')) rows.push(...(await adapterComparison(config, redis)));
    if (config.parts.includes('palaver')) rows.push(...(await palaverTargets(config, measure)));
  } finally {
    await redis.close();
  }
  const dir = join(__dirname, '..', '..', 'results');
  await mkdir(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  await writeFile(join(dir, `cluster-${stamp}.json`), JSON.stringify({ config, rows }, null, 2));
  await writeFile(join(dir, `cluster-${stamp}.md`), markdown(rows, config));
  process.stdout.write(`\nwrote bench/results/cluster-${stamp}.{json,md}\n`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(
      `bench:cluster failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  });
}
