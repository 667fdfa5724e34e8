#!/usr/bin/env node
// `npm start`: build if anything is missing or stale (tsc -b is incremental), then run the appliance.
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { buildStaleBrowserApps } from './browser-apps.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const build = spawnSync('npx', ['tsc', '-b'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) {
  console.error('palaver: build failed (see the TypeScript errors above)');
  process.exit(build.status ?? 1);
}

// Browser apps built by Vite: rebuilt when their sources (or the SDK they bundle) are newer than the build.
if (!buildStaleBrowserApps(root)) process.exit(1);

const server = spawn(process.execPath, ['--enable-source-maps', 'apps/server/dist/src/main.js'], {
  cwd: root,
  stdio: 'inherit',
});
// Pass stop signals on (e.g. `kill <npm pid>`), so the server shuts down gracefully instead of being orphaned.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.kill(signal));
server.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
