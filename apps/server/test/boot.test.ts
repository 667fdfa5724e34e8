import { startDocstore } from '@palaver/docstore';
import { PalaverClient } from '@palaver/client';
import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MetricsServer } from '../src/health/metrics.server';
import { registerUser, startTestServer, TestServer } from './utils';

const MAIN = resolve(__dirname, '../src/main.js');

interface ServerProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs the shipped entry point (what `npm start` runs) with only the given environment. */
function runMain(env: Record<string, string>): ServerProcess {
  const child = spawn(process.execPath, [MAIN], {
    cwd: tmpdir(),
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once('exit', (code, signal) => done({ code, signal })),
  );
  return { child, stdout: () => out, stderr: () => err, exited };
}

async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function waitForListening(proc: ServerProcess): Promise<string> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const match = /Palaver listening on (http:\/\/[^\s]+)/.exec(proc.stdout());
    if (match) return match[1];
    if (proc.child.exitCode !== null) throw new Error(`server exited early: ${proc.stderr()}`);
    if (Date.now() > deadline) throw new Error(`server did not start: ${proc.stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Asserts the process failed with exit 1 and exactly one line on stderr matching `pattern`. */
async function assertFailsWithOneLine(proc: ServerProcess, pattern: RegExp): Promise<void> {
  const { code } = await within(proc.exited, 30_000, 'process exit');
  assert.equal(code, 1, `exit code; stderr: ${proc.stderr()}`);
  const lines = proc.stderr().trimEnd().split('\n');
  assert.equal(lines.length, 1, `expected one line on stderr, got:\n${proc.stderr()}`);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(proc.stderr(), /\n\s+at /, 'no stack trace');
}

describe('boot: operator mistakes fail with one clear line', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  after(async () => {
    for (const step of cleanups.reverse()) await step();
  });

  async function tempDir(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'palaver-boot-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    return dir;
  }

  it('a bad config value names the variable and what is allowed', async () => {
    const proc = runMain({ PORT: 'eighty', DATA_DIR: await tempDir() });
    await assertFailsWithOneLine(proc, /^palaver: PORT: .*integer.*\(got 'eighty'\)$/);
  });

  it('a data dir that cannot be created or written is refused', async () => {
    const dir = await tempDir();
    const file = join(dir, 'not-a-dir');
    await writeFile(file, 'x');
    const proc = runMain({ PORT: '0', DATA_DIR: join(file, 'data') });
    await assertFailsWithOneLine(proc, /^palaver: data dir .*not-a-dir\/data is not writable/);
  });

  it('a port already in use is reported, not thrown', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((done) => blocker.listen(0, '127.0.0.1', done));
    cleanups.push(() => new Promise((done) => blocker.close(done)));
    const port = (blocker.address() as { port: number }).port;
    const proc = runMain({ PORT: String(port), DATA_DIR: await tempDir() });
    await assertFailsWithOneLine(
      proc,
      new RegExp(`^palaver: port ${port} on 127\\.0\\.0\\.1 is already in use`),
    );
  });

  it('a second server on the same data dir is refused while the first keeps running; SIGTERM exits 0', async () => {
    const dataDir = await tempDir();
    const first = runMain({ PORT: '0', DATA_DIR: dataDir });
    cleanups.push(async () => {
      if (first.child.exitCode === null) first.child.kill('SIGKILL');
    });
    const url = await waitForListening(first);
    const logLines = first.stdout().trim().split('\n');
    assert.equal(logLines.length, 1, `boot logs one line, got:\n${first.stdout()}`);
    assert.equal((JSON.parse(logLines[0]) as { level: number }).level, 30, 'JSON log line');

    const second = runMain({ PORT: '0', DATA_DIR: dataDir });
    await assertFailsWithOneLine(second, /^palaver: data dir .* is in use by another Palaver process/);

    const res = await fetch(`${url}/health/live`);
    assert.equal(res.status, 200, 'the first server is unaffected');
    const secret = await stat(join(dataDir, 'secret'));
    assert.equal(secret.mode & 0o777, 0o600, 'generated token secret is private');

    first.child.kill('SIGTERM');
    const { code } = await within(first.exited, 20_000, 'graceful shutdown');
    assert.equal(code, 0);
  });
});

describe('boot: a running server', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server?.close();
  });

  it('reports live and ready (MongoDB reachable)', async () => {
    const live = await fetch(`${server.url}/health/live`);
    assert.deepEqual(await live.json(), { status: 'ok' });
    const ready = await fetch(`${server.url}/health/ready`);
    assert.equal(ready.status, 200);
    const body = (await ready.json()) as { status: string; info: Record<string, { status: string }> };
    assert.equal(body.status, 'ok');
    assert.equal(body.info.mongo.status, 'up');
  });

  it('serves the OpenAPI UI at /api/docs and the document with the auth routes', async () => {
    const ui = await fetch(`${server.url}/api/docs`);
    assert.equal(ui.status, 200);
    assert.match(await ui.text(), /swagger-ui/i);
    const doc = (await (await fetch(`${server.url}/api/docs/json`)).json()) as {
      paths: Record<string, unknown>;
    };
    for (const path of ['/api/auth/register', '/api/auth/login', '/api/auth/refresh', '/api/users/me']) {
      assert.ok(doc.paths[path], `${path} documented`);
    }
  });

  it('sends security headers and no CORS grant to unknown origins', async () => {
    const res = await fetch(`${server.url}/health/live`, { headers: { origin: 'http://evil.example' } });
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.ok(res.headers.get('content-security-policy'));
    assert.equal(res.headers.get('access-control-allow-origin'), null);
  });

  it('keeps metrics off unless METRICS_PORT is set', () => {
    assert.equal(server.app.get(MetricsServer).port, undefined);
  });
});

describe('boot: options and persistence', () => {
  it('serves Prometheus metrics on METRICS_PORT, including HTTP latency by route', async () => {
    const server = await startTestServer({ env: { METRICS_PORT: '0' } });
    try {
      const port = server.app.get(MetricsServer).port;
      assert.ok(port, 'metrics port bound');
      await fetch(`${server.url}/health/live`);
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      assert.equal(res.status, 200);
      const text = await res.text();
      assert.match(text, /palaver_http_request_duration_seconds_count\{[^}]*route="\/health\/live"/);
      assert.match(text, /palaver_connected_sockets/);
      assert.match(text, /palaver_messages_accepted_total/);
      assert.match(text, /palaver_ack_latency_seconds/);
      assert.equal((await fetch(`${server.url}/metrics`)).status, 404, 'not on the public port');
    } finally {
      await server.close();
    }
  });

  it('grants CORS to configured origins', async () => {
    const server = await startTestServer({ env: { CORS_ORIGINS: 'http://chat.example' } });
    try {
      const res = await fetch(`${server.url}/api/users/me`, {
        method: 'OPTIONS',
        headers: { origin: 'http://chat.example', 'access-control-request-method': 'GET' },
      });
      assert.equal(res.headers.get('access-control-allow-origin'), 'http://chat.example');
    } finally {
      await server.close();
    }
  });

  it('uses MONGO_URL when given and reports not ready (503) while MongoDB is down', async () => {
    const dbDir = await mkdtemp(join(tmpdir(), 'palaver-mongo-'));
    const docstore = await startDocstore({ dbPath: dbDir, port: 0, host: '127.0.0.1' });
    let docstoreOpen = true;
    const server = await startTestServer({ env: { MONGO_URL: docstore.uri } });
    try {
      assert.equal(server.mongoUrl, docstore.uri);
      await registerUser(server);
      assert.equal((await fetch(`${server.url}/health/ready`)).status, 200);
      await docstore.close();
      docstoreOpen = false;
      const res = await fetch(`${server.url}/health/ready`);
      assert.equal(res.status, 503);
      assert.deepEqual(await res.json(), {
        error: { code: 'unavailable', message: 'not ready: mongo unavailable' },
      });
      assert.equal((await fetch(`${server.url}/health/live`)).status, 200, 'still alive');
    } finally {
      await server.close();
      if (docstoreOpen) await docstore.close();
      await rm(dbDir, { recursive: true, force: true });
    }
  });

  it('keeps accounts and sessions across a restart on the same data dir', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'palaver-restart-'));
    try {
      const first = await startTestServer({ dataDir });
      const user = await registerUser(first);
      const tokens = user.http.currentTokens!;
      await first.close();

      const second = await startTestServer({ dataDir });
      try {
        const again = new PalaverClient(second.url);
        again.useTokens(tokens);
        assert.equal((await again.me()).id, user.user.id, 'access token still valid (secret kept)');
        const login = await new PalaverClient(second.url).login(user.user.username, user.password);
        assert.equal(login.user.id, user.user.id);
        assert.equal(login.user.role, 'admin', 'still the first account');
      } finally {
        await second.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
