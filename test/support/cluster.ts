import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, WaitAborted, waitFor } from './ports';
import { RedisServerHandle, startRedisServer } from './redis-server';

const repoRoot = resolve(__dirname, '..', '..', '..');
export const SERVER_MAIN = join(repoRoot, 'apps', 'server', 'dist', 'src', 'main.js');
export const DOCSTORE_CLI = join(repoRoot, 'packages', 'docstore', 'dist', 'src', 'cli.js');

/** A child process with its output kept (the tail is shown when something fails). */
class ManagedProcess {
  private child?: ChildProcess;
  private output = '';

  constructor(
    readonly name: string,
    private readonly args: string[],
    private readonly env: Record<string, string>,
  ) {}

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    const child = spawn(process.execPath, this.args, {
      env: { ...process.env, ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-20_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }

  logs(lines = 40): string {
    return this.output.split('\n').slice(-lines).join('\n');
  }

  /** Sends the signal and waits (bounded) for the exit; SIGTERM escalates to SIGKILL after 10 s. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

export interface ClusterNode {
  /** NODE_ID of the process, e.g. `node-1`. */
  id: string;
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
  /** http://127.0.0.1:METRICS_PORT/metrics when started with `metrics: true`. */
  metricsUrl?: string;
  dataDir: string;
  readonly running: boolean;
  readonly pid: number | undefined;
  /** kill -9: a crash, no graceful shutdown. */
  crash(): Promise<void>;
  /** SIGTERM and wait for the graceful shutdown. */
  stop(): Promise<void>;
  /** Starts the process again on the same port and waits until it is ready. */
  start(): Promise<void>;
  /** The last lines the process printed. */
  logs(lines?: number): string;
}

export interface TestCluster {
  nodes: ClusterNode[];
  /** Shared by every node. */
  mongoUrl: string;
  redis?: RedisServerHandle;
  /** The shared TOKEN_SECRET (every node must sign and verify the same tokens). */
  tokenSecret: string;
  /** SIGKILL and restart the shared docstore. */
  docstore: { crash(): Promise<void>; start(): Promise<void> };
  close(): Promise<void>;
}

export interface ClusterOptions {
  /** Number of Palaver processes (default 2). */
  nodes?: number;
  /** Start a redis-server and give every node REDIS_URL (default true). */
  redis?: boolean;
  /** Extra environment for every node. */
  env?: Record<string, string>;
  /** Give every node its own METRICS_PORT (see ClusterNode.metricsUrl). */
  metrics?: boolean;
}

/**
 * A real cluster on this machine: one redis-server, one docstore (CLI child process) and N Palaver
 * processes (`node apps/server/dist/src/main.js`), each on a port picked here, with its own DATA_DIR and
 * NODE_ID, sharing MONGO_URL, REDIS_URL and TOKEN_SECRET. Needs a prior build (`npx tsc -b`).
 * Everything lives in one temp dir, removed by close().
 */
export async function startCluster(options: ClusterOptions = {}): Promise<TestCluster> {
  for (const file of [SERVER_MAIN, DOCSTORE_CLI]) {
    if (!existsSync(file)) throw new Error(`${file} is missing: build first (npx tsc -b)`);
  }
  const root = await mkdtemp(join(tmpdir(), 'palaver-cluster-'));
  const cleanups: (() => Promise<void>)[] = [];
  try {
    const redis = options.redis === false ? undefined : await startRedisServer();
    if (redis) cleanups.push(() => redis.close());

    const docstorePort = await freePort();
    const dbPath = join(root, 'docstore');
    await mkdir(dbPath, { recursive: true });
    const docstore = new ManagedProcess(
      'docstore',
      [DOCSTORE_CLI, '--dbpath', dbPath, '--port', String(docstorePort), '--bind', '127.0.0.1'],
      {},
    );
    const mongoUrl = `mongodb://127.0.0.1:${docstorePort}/palaver`;
    const startDocstore = async () => {
      docstore.start();
      await waitFor(`docstore on port ${docstorePort}`, () => tcpOpen(docstorePort, docstore), 15_000).catch(
        (err: Error) => {
          throw new Error(`${err.message}\n--- docstore output ---\n${docstore.logs()}`);
        },
      );
    };
    await startDocstore();
    cleanups.push(() => docstore.stop('SIGKILL'));

    const tokenSecret = randomBytes(32).toString('hex');
    const nodes: ClusterNode[] = [];
    for (let i = 1; i <= (options.nodes ?? 2); i++) {
      const id = `node-${i}`;
      const port = await freePort();
      const metricsPort = options.metrics ? await freePort() : undefined;
      const dataDir = join(root, id);
      await mkdir(dataDir, { recursive: true });
      const proc = new ManagedProcess(id, [SERVER_MAIN], {
        NODE_ENV: 'test',
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        NODE_ID: id,
        MONGO_URL: mongoUrl,
        TOKEN_SECRET: tokenSecret,
        LOG_LEVEL: 'warn',
        REGISTRATIONS_PER_IP_PER_HOUR: '0',
        ...(redis ? { REDIS_URL: redis.url } : {}),
        ...(metricsPort ? { METRICS_PORT: String(metricsPort) } : {}),
        ...options.env,
      });
      const url = `http://127.0.0.1:${port}`;
      const start = async () => {
        proc.start();
        await waitFor(
          `${id} to answer /health/live`,
          async () => {
            if (!proc.running) throw new WaitAborted(`${id} exited`);
            const res = await fetch(`${url}/health/live`, { signal: AbortSignal.timeout(1000) });
            return res.ok;
          },
          // Generous: three nodes booting at once on a busy two-core machine take a while.
          90_000,
          100,
        ).catch((err: Error) => {
          throw new Error(`${err.message}\n--- ${id} output ---\n${proc.logs()}`);
        });
      };
      nodes.push({
        id,
        url,
        port,
        ...(metricsPort ? { metricsUrl: `http://127.0.0.1:${metricsPort}/metrics` } : {}),
        dataDir,
        get running() {
          return proc.running;
        },
        get pid() {
          return proc.pid;
        },
        crash: () => proc.stop('SIGKILL'),
        stop: () => proc.stop('SIGTERM'),
        start,
        logs: (lines?: number) => proc.logs(lines),
      });
      cleanups.push(() => proc.stop('SIGKILL'));
    }
    await Promise.all(nodes.map((node) => node.start()));

    return {
      nodes,
      mongoUrl,
      redis,
      tokenSecret,
      docstore: { crash: () => docstore.stop('SIGKILL'), start: startDocstore },
      async close() {
        for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
        await rm(root, { recursive: true, force: true });
      },
    };
  } catch (err) {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    await rm(root, { recursive: true, force: true });
    throw err;
  }
}

async function tcpOpen(port: number, proc: ManagedProcess): Promise<boolean> {
  if (!proc.running) throw new WaitAborted(`${proc.name} exited`);
  const { connect } = await import('node:net');
  return new Promise((done) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}
