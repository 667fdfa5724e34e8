import { adminConsoleRouter } from '@palaver/server/dist/src/admin-console/admin-console.router';
import express from 'express';
import helmet from 'helmet';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

const INDEX =
  '<!doctype html><title>console</title><script type="module" src="/admin/assets/index-abc123.js"></script>';

/** The /admin router mounted like the server does (after the app-wide helmet), on a port of its own. */
async function serve(distDir: string): Promise<{ url: string; server: Server }> {
  const app = express();
  app.use(helmet());
  app.use('/admin', adminConsoleRouter(distDir));
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const get = (url: string) => fetch(url, { signal: AbortSignal.timeout(5000) });

describe('the admin console is served at /admin', () => {
  let root: string;
  let built: { url: string; server: Server };
  let missing: { url: string; server: Server };

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'palaver-admin-dist-'));
    const dist = join(root, 'dist');
    await mkdir(join(dist, 'assets'), { recursive: true });
    await writeFile(join(dist, 'index.html'), INDEX);
    await writeFile(join(dist, 'assets', 'index-abc123.js'), 'console.log("console");');
    built = await serve(dist);
    missing = await serve(join(root, 'not-built'));
  });
  after(async () => {
    for (const s of [built, missing]) await new Promise((done) => s?.server.close(done));
    await rm(root, { recursive: true, force: true });
  });

  it('answers index.html for the console and its client-side routes, revalidated on every load', async () => {
    for (const path of ['/admin', '/admin/', '/admin/users', '/admin/plugins/moderation']) {
      const res = await get(`${built.url}${path}`);
      assert.equal(res.status, 200, path);
      assert.equal(await res.text(), INDEX, path);
      assert.match(res.headers.get('content-type') ?? '', /text\/html/, path);
      assert.equal(res.headers.get('cache-control'), 'no-cache', path);
    }
  });

  it('serves hashed assets as immutable for a year and answers 404 for a missing one', async () => {
    const res = await get(`${built.url}/admin/assets/index-abc123.js`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.match(res.headers.get('content-type') ?? '', /javascript/);
    const gone = await get(`${built.url}/admin/assets/index-old999.js`);
    assert.equal(gone.status, 404);
    assert.notEqual(await gone.text(), INDEX);
  });

  it('sends a Content-Security-Policy without inline scripts, eval or an https upgrade', async () => {
    const policy = (await get(`${built.url}/admin/users`)).headers.get('content-security-policy') ?? '';
    const directives = new Map(
      policy.split(';').map((d) => {
        const [name = '', ...values] = d.trim().split(/\s+/);
        return [name, values] as const;
      }),
    );
    assert.deepEqual(directives.get('script-src'), ["'self'"]);
    assert.deepEqual(directives.get('connect-src'), ["'self'"]);
    assert.deepEqual(directives.get('frame-ancestors'), ["'none'"]);
    assert.ok(!policy.includes('unsafe-eval'), policy);
    assert.ok(!directives.has('upgrade-insecure-requests'), policy);
  });

  it('answers 503 with how to build it while admin/dist is missing', async () => {
    for (const path of ['/admin', '/admin/users']) {
      const res = await get(`${missing.url}${path}`);
      assert.equal(res.status, 503, path);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      const page = await res.text();
      assert.match(page, /admin console is not built/);
      assert.match(page, /npm run build/);
    }
  });
});
