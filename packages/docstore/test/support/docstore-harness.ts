import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { startDocstore, type DocstoreOptions } from '../../src/index';

/** The monorepo root: the nearest ancestor whose package.json declares workspaces. */
export function repoRoot(from: string = __dirname): string {
  let dir = resolve(from);
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const parsed = JSON.parse(readFileSync(manifest, 'utf8')) as {
        workspaces?: unknown;
      };
      if (Array.isArray(parsed.workspaces)) return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json with workspaces above ${from}`);
    dir = parent;
  }
}

/** The docstore package folder (packages/docstore), from source or from dist. */
export function packageDir(): string {
  return join(repoRoot(), 'packages', 'docstore');
}

export async function makeTempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `palaver-${prefix}-`));
}

export interface RunningDocstore {
  uri: string;
  port: number;
  dbPath: string;
  /** Stops the server and deletes its data directory. */
  close(): Promise<void>;
}

/** An in-process docstore on a random loopback port in a fresh temp dir. */
export async function startTempDocstore(
  prefix = 'docstore',
  options: Omit<DocstoreOptions, 'dbPath' | 'port' | 'host'> = {},
): Promise<RunningDocstore> {
  const dbPath = await makeTempDir(prefix);
  const server = await startDocstore({ ...options, dbPath, port: 0, host: '127.0.0.1' });
  return {
    uri: server.uri,
    port: server.port,
    dbPath,
    async close() {
      await server.close();
      await rm(dbPath, { recursive: true, force: true });
    },
  };
}

export interface DocstoreChild {
  child: ChildProcess;
  uri: string;
  port: number;
  /** Resolves with the exit code or signal once the process is gone. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Everything the child has written to stderr so far (internal errors are reported there). */
  stderr(): string;
}

/**
 * Runs the compiled CLI (dist/src/cli.js) as a child process and waits, at most `timeoutMs`, for the line
 * it prints when it listens. The port is read from that line (a mongodb:// URI or "port N").
 */
export async function spawnDocstoreCli(dbPath: string, timeoutMs = 15_000): Promise<DocstoreChild> {
  const cli = join(packageDir(), 'dist', 'src', 'cli.js');
  if (!existsSync(cli))
    throw new Error(`${cli} is missing: build the docstore first (npx tsc -b packages/docstore)`);
  const child = spawn(process.execPath, [cli, '--dbpath', dbPath, '--port', '0', '--bind', '127.0.0.1'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
  }>((done) => child.once('exit', (code, signal) => done({ code, signal })));
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const port = await new Promise<number>((done, fail) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`docstore CLI did not report listening within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const found = /mongodb:\/\/[^:/\s]+:(\d+)/.exec(line) ?? /port[ =:]+(\d+)/i.exec(line);
      if (found && Number(found[1]) > 0) {
        clearTimeout(timer);
        done(Number(found[1]));
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      fail(new Error(`docstore CLI exited early (code ${code}, signal ${signal}); stderr: ${stderr}`));
    });
  });
  // Keep draining stdout so a chatty child never blocks on a full pipe.
  child.stdout?.resume();
  return { child, port, uri: `mongodb://127.0.0.1:${port}`, exited, stderr: () => stderr };
}
