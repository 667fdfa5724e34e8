#!/usr/bin/env node
// `npm start`: build if anything is missing or stale (tsc -b is incremental), then run the appliance.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const build = spawnSync('npx', ['tsc', '-b'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) {
  console.error('palaver: build failed (see the TypeScript errors above)');
  process.exit(build.status ?? 1);
}

// Browser apps built by Vite: rebuilt when their sources (or the SDK they bundle) are newer than the build.
const browserApps = [
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
];
const newest = (path) => {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newest(join(path, name))));
};
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
    process.exit(result.status ?? 1);
  }
}

const server = spawn(process.execPath, ['--enable-source-maps', 'apps/server/dist/src/main.js'], {
  cwd: root,
  stdio: 'inherit',
});
// Pass stop signals on (e.g. `kill <npm pid>`), so the server shuts down gracefully instead of being orphaned.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.kill(signal));
server.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
