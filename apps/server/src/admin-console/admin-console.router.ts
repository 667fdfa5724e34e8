import { Router, static as serveStatic, type NextFunction, type Request, type Response } from 'express';
import { contentSecurityPolicy } from 'helmet';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Where the console is mounted (the Vite build uses the same base). */
export const ADMIN_CONSOLE_PATH = '/admin';
/** The members' chat app (apps/web) is the site's root. */
export const WEB_APP_PATH = '/';

/** The repository root, from apps/server/dist/src/admin-console: five levels up. */
const REPO_ROOT = resolve(__dirname, '..', '..', '..', '..', '..');
/** admin/dist of the repository. */
export const DEFAULT_ADMIN_DIST = join(REPO_ROOT, 'admin', 'dist');
/** apps/web/dist of the repository. */
export const DEFAULT_WEB_DIST = join(REPO_ROOT, 'apps', 'web', 'dist');

/** Paths the web app at / must never answer: the server's own routes and the console. */
const SERVER_PREFIXES = ['/api', '/health', '/socket.io', ADMIN_CONSOLE_PATH];

/** Vite names every built asset with a content hash, so a cached copy can never be stale. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** index.html names the current hashed assets: always revalidated so a new build is picked up at once. */
const REVALIDATE = 'no-cache';

/**
 * The browser apps' own policy, set after the app-wide helmet defaults: scripts only from this origin
 * (Vite emits no inline script), API calls, sockets, images and media (signed links) from this origin,
 * inline style attributes allowed (the chart library and progress bars set them). Unlike helmet's
 * default it does not add upgrade-insecure-requests, which would make the browser fetch the assets over
 * https on an install served over plain http (a LAN box).
 */
const appPolicy = contentSecurityPolicy({
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

/** The page answered while an app is not built: what to run, and that the API works regardless. */
function notBuiltPage(title: string, dir: string, workspace: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Palaver ${title} not built</title></head>
<body><h1>The ${title} is not built</h1>
<p>This server has no <code>${dir}/dist</code>. Build it from the repository root with
<code>npm run build</code> (or <code>npm run build -w ${workspace}</code>) and reload this page.
The REST API (<code>/api/docs</code>) works without it.</p></body></html>
`;
}

/** Serves the built console (admin/dist) at /admin; every other GET below /admin is a console route. */
export function adminConsoleRouter(distDir: string = DEFAULT_ADMIN_DIST): Router {
  return staticAppRouter({
    distDir,
    notBuilt: notBuiltPage('admin console', 'admin', '@palaver/admin'),
  });
}

/**
 * Serves the members' chat app (apps/web/dist) at /. It shares the root with the server, so it stands
 * aside for the API, health probes, Socket.IO and the console, and only page loads (GET asking for
 * HTML) fall back to index.html; anything else it does not have goes on to the server's 404.
 */
export function webAppRouter(distDir: string = DEFAULT_WEB_DIST): Router {
  return staticAppRouter({
    distDir,
    notBuilt: notBuiltPage('web app', 'apps/web', '@palaver/web'),
    passThrough: SERVER_PREFIXES,
    pageLoadsOnly: true,
  });
}

interface StaticAppOptions {
  distDir: string;
  /** Answered (503) for page loads while distDir has no index.html. */
  notBuilt: string;
  /** Path prefixes left to the rest of the server. */
  passThrough?: string[];
  /** Fall back to index.html only for GETs whose Accept names text/html (else: every GET). */
  pageLoadsOnly?: boolean;
}

/**
 * A Vite-built single-page app: hashed assets cached for a year, index.html (no-cache) for client-side
 * routes, a 503 page while it is not built. Mounted once per app (/admin, /).
 */
function staticAppRouter({
  distDir,
  notBuilt,
  passThrough = [],
  pageLoadsOnly = false,
}: StaticAppOptions): Router {
  const router = Router();
  const indexFile = join(distDir, 'index.html');
  router.use((req: Request, _res: Response, next: NextFunction) => {
    const path = req.path;
    const reserved = passThrough.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
    next(reserved ? 'router' : undefined);
  });
  router.use(appPolicy);
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
  router.get('/{*path}', (req: Request, res: Response, next: NextFunction) => {
    if (pageLoadsOnly && !(req.headers.accept ?? '').includes('text/html')) {
      next();
      return;
    }
    // Checked per request so an app built while the server runs is served without a restart.
    if (!existsSync(indexFile)) {
      res.status(503).setHeader('Cache-Control', 'no-store').type('html').send(notBuilt);
      return;
    }
    res.setHeader('Cache-Control', REVALIDATE);
    res.sendFile(indexFile);
  });
  return router;
}
