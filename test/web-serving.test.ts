import {
  adminConsoleRouter,
  webAppRouter,
} from '@palaver/server/dist/src/admin-console/admin-console.router';
import express from 'express';
import helmet from 'helmet';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

const WEB_INDEX =
  '<!doctype html><title>chat</title><script type="module" src="/assets/index-abc123.js"></script>';
const ADMIN_INDEX = '<!doctype html><title>console</title>';
const HTML = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };

/**
 * The two mounts as the server has them: API routes first (Nest registers them before modules init),
 * then /admin, then the web app at /, then a JSON 404 like Nest's.
 */
async function serve(webDist: string, adminDist: string): Promise<{ url: string; server: Server }> {
  const app = express();
  app.use(helmet());
  app.get('/api/rooms', (_req, res) => void res.json({ rooms: [] }));
  app.get('/health/live', (_req, res) => void res.json({ status: 'ok' }));
  app.use('/admin', adminConsoleRouter(adminDist));
  app.use('/', webAppRouter(webDist));
  app.use((_req: express.Request, res: express.Response) => {
    res.status(404).json({ error: { code: 'not_found', message: 'no such route' } });
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const get = (url: string, headers: Record<string, string> = {}) =>
  fetch(url, { headers, signal: AbortSignal.timeout(5000) });

describe('the web app is served at / beside the API and the admin console', () => {
  let root: string;
  let built: { url: string; server: Server };
  let missing: { url: string; server: Server };

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'palaver-web-dist-'));
    const web = join(root, 'web');
    const admin = join(root, 'admin');
    await mkdir(join(web, 'assets'), { recursive: true });
    await mkdir(admin, { recursive: true });
    await writeFile(join(web, 'index.html'), WEB_INDEX);
    await writeFile(join(web, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    await writeFile(join(web, 'assets', 'index-abc123.js'), 'console.log("chat");');
    await writeFile(join(admin, 'index.html'), ADMIN_INDEX);
    built = await serve(web, admin);
    missing = await serve(join(root, 'not-built'), admin);
  });
  after(async () => {
    for (const s of [built, missing]) await new Promise((done) => s?.server.close(done));
    await rm(root, { recursive: true, force: true });
  });

  it('answers index.html, revalidated on every load, for / and for client-side routes a browser opens', async () => {
    for (const path of ['/', '/r/6b044fa26f420082c8e62157', '/some/deep/link']) {
      const res = await get(`${built.url}${path}`, HTML);
      assert.equal(res.status, 200, path);
      assert.equal(await res.text(), WEB_INDEX, path);
      assert.match(res.headers.get('content-type') ?? '', /text\/html/, path);
      assert.equal(res.headers.get('cache-control'), 'no-cache', path);
    }
  });

  it('serves hashed assets as immutable and answers 404 (not index.html) for an unknown asset or non-page request', async () => {
    const asset = await get(`${built.url}/assets/index-abc123.js`);
    assert.equal(asset.status, 200);
    assert.equal(asset.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.match(asset.headers.get('content-type') ?? '', /javascript/);
    assert.equal((await get(`${built.url}/assets/index-old999.js`, HTML)).status, 404);
    const icon = await get(`${built.url}/favicon.svg`);
    assert.equal(icon.status, 200);
    assert.equal(icon.headers.get('cache-control'), 'no-cache');
    // A script or fetch asking for JSON is not a page load.
    assert.equal((await get(`${built.url}/no-such-file.json`, { accept: 'application/json' })).status, 404);
  });

  it('never shadows /api, /health, /socket.io or /admin', async () => {
    assert.deepEqual(await (await get(`${built.url}/api/rooms`, HTML)).json(), { rooms: [] });
    const unknownApi = await get(`${built.url}/api/nope`, HTML);
    assert.equal(unknownApi.status, 404);
    assert.equal(((await unknownApi.json()) as { error: { code: string } }).error.code, 'not_found');
    assert.deepEqual(await (await get(`${built.url}/health/live`, HTML)).json(), { status: 'ok' });
    assert.equal((await get(`${built.url}/health/other`, HTML)).status, 404);
    assert.equal((await get(`${built.url}/socket.io/?EIO=4&transport=polling`, HTML)).status, 404);
    assert.equal(await (await get(`${built.url}/admin/users`, HTML)).text(), ADMIN_INDEX);
  });

  it('sends a policy that allows only its own origin and does not upgrade requests to https', async () => {
    const csp = (await get(`${built.url}/`, HTML)).headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /default-src 'self'/);
    assert.doesNotMatch(csp, /upgrade-insecure-requests/);
    assert.doesNotMatch(csp, /unsafe-eval/);
  });

  it('tells the operator to build when the app is missing, without breaking the API', async () => {
    const res = await get(`${missing.url}/`, HTML);
    assert.equal(res.status, 503);
    assert.match(await res.text(), /npm run build/);
    assert.deepEqual(await (await get(`${missing.url}/api/rooms`, HTML)).json(), { rooms: [] });
  });
});
