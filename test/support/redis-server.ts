import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, WaitAborted, waitFor } from './ports';

export interface RedisServerHandle {
  url: string;
  port: number;
  /** SIGKILL the server (a crash); `start()` brings it back on the same port, empty. */
  kill(): Promise<void>;
  start(): Promise<void>;
  /** Total calls per Redis command since start (INFO commandstats), e.g. `{ publish: 120 }`. */
  commandStats(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

/** Fails with the install command when redis-server is missing: tests need a real one. */
export function requireRedisServer(): void {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error('redis-server is not installed: run `apt-get install -y redis-server` (Debian/Ubuntu)');
  }
}

/**
 * A throwaway redis-server on a random port in a temp dir, no persistence (a restart is a fresh, empty
 * Redis, the worst case a Palaver node has to survive).
 */
export async function startRedisServer(): Promise<RedisServerHandle> {
  requireRedisServer();
  const dir = await mkdtemp(join(tmpdir(), 'palaver-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  const url = `redis://127.0.0.1:${port}`;

  const start = async () => {
    const proc = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
        '--daemonize',
        'no',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = proc;
    let output = '';
    proc.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    proc.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitFor(
      `redis-server on port ${port}`,
      async () => {
        if (proc.exitCode !== null) throw new WaitAborted(`redis-server exited: ${output.slice(-500)}`);
        const probe = new Redis(url, {
          lazyConnect: true,
          maxRetriesPerRequest: 0,
          retryStrategy: () => null,
        });
        probe.on('error', () => undefined);
        try {
          await probe.connect();
          return (await probe.ping()) === 'PONG';
        } finally {
          probe.disconnect();
        }
      },
      10_000,
    );
  };

  const kill = async () => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGKILL');
    await exited;
  };

  await start();
  return {
    url,
    port,
    kill,
    start,
    async commandStats() {
      const admin = new Redis(url, { maxRetriesPerRequest: 1 });
      try {
        const info = await admin.info('commandstats');
        const stats: Record<string, number> = {};
        for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm))
          stats[match[1]!] = Number(match[2]);
        return stats;
      } finally {
        admin.disconnect();
      }
    },
    async close() {
      await kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
