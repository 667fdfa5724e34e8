// The browser apps built by Vite (not by tsc -b), and a build step that skips the ones already current.
// Shared by `npm start` and `npm test`; `npm run build` builds them unconditionally.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const browserApps = [
  {
    workspace: '@palaver/admin',
    dir: 'admin',
    sources: [
      'admin/src',
      'admin/index.html',
      'admin/vite.config.ts',
      'admin/package.json',
      'packages/client/src',
    ],
  },
  {
    workspace: '@palaver/web',
    dir: 'apps/web',
    sources: [
      'apps/web/src',
      'apps/web/public',
      'apps/web/index.html',
      'apps/web/vite.config.ts',
      'apps/web/package.json',
      'packages/client/src',
    ],
  },
];

const newest = (path) => {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newest(join(path, name))));
};

/**
 * Builds each app whose dist/index.html is missing or older than its sources (or the SDK it bundles).
 * Returns false (after printing what failed) if a build fails.
 */
export function buildStaleBrowserApps(root) {
  for (const app of browserApps) {
    const built = join(root, app.dir, 'dist', 'index.html');
    if (
      existsSync(built) &&
      statSync(built).mtimeMs >= Math.max(...app.sources.map((s) => newest(join(root, s))))
    ) {
      continue;
    }
    const result = spawnSync('npm', ['run', 'build', '-w', app.workspace], { cwd: root, stdio: 'inherit' });
    if (result.status !== 0) {
      console.error(`palaver: building ${app.workspace} failed (see above)`);
      return false;
    }
  }
  return true;
}
