import { Router, static as serveStatic, type Request, type Response } from 'express';
import { contentSecurityPolicy } from 'helmet';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Where the console is mounted (the Vite build uses the same base). */
export const ADMIN_CONSOLE_PATH = '/admin';

/** admin/dist of the repository: apps/server/dist/src/admin-console -> five levels up. */
export const DEFAULT_ADMIN_DIST = resolve(__dirname, '..', '..', '..', '..', '..', 'admin', 'dist');

/** Vite names every built asset with a content hash, so a cached copy can never be stale. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** index.html names the current hashed assets: always revalidated so a new build is picked up at once. */
const REVALIDATE = 'no-cache';

/**
 * The console's own policy, set after the app-wide helmet defaults: scripts only from this origin (Vite
 * emits no inline script), API calls to this origin, inline style attributes allowed (the chart library
 * sets them). Unlike helmet's default it does not add upgrade-insecure-requests, which would make the
 * browser fetch the assets over https on an install served over plain http (a LAN box).
 */
const consolePolicy = contentSecurityPolicy({
  useDefaults: false,
  directives: {
    'default-src': ["'self'"],
    'base-uri': ["'self'"],
    'script-src': ["'self'"],
    'script-src-attr': ["'none'"],
    'style-src': ["'self'", "'unsafe-inline'"],
    'img-src': ["'self'", 'data:'],
    'font-src': ["'self'", 'data:'],
    'connect-src': ["'self'"],
    'object-src': ["'none'"],
    'form-action': ["'self'"],
    'frame-ancestors': ["'none'"],
  },
});

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Palaver admin console not built</title></head>
<body><h1>The admin console is not built</h1>
<p>This server has no <code>admin/dist</code>. Build it from the repository root with
<code>npm run build</code> (or <code>npm run build -w @palaver/admin</code>) and reload this page.
The REST API (<code>/api/docs</code>) works without it.</p></body></html>
`;

/**
 * Serves the built console (admin/dist) at /admin: hashed assets cached for a year, index.html for every
 * other GET below /admin (client-side routes such as /admin/users), and a 503 page while it is not built.
 */
export function adminConsoleRouter(distDir: string = DEFAULT_ADMIN_DIST): Router {
  const router = Router();
  const indexFile = join(distDir, 'index.html');
  router.use(consolePolicy);
  router.use(
    '/assets',
    serveStatic(join(distDir, 'assets'), {
      index: false,
      setHeaders: (res) => res.setHeader('Cache-Control', IMMUTABLE),
    }),
    // An asset of an older build: a plain 404 (not index.html, which a script tag would try to run).
    (_req: Request, res: Response) => {
      res.status(404).setHeader('Cache-Control', 'no-store').type('text').send('not found');
    },
  );
  router.use(
    serveStatic(distDir, {
      index: false,
      setHeaders: (res) => res.setHeader('Cache-Control', REVALIDATE),
    }),
  );
  router.get('/{*path}', (req: Request, res: Response) => {
    // Checked per request so a console built while the server runs is served without a restart.
    if (!existsSync(indexFile)) {
      res.status(503).setHeader('Cache-Control', 'no-store').type('html').send(NOT_BUILT_PAGE);
      return;
    }
    res.setHeader('Cache-Control', REVALIDATE);
    res.sendFile(indexFile);
  });
  return router;
}
