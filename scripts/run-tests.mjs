#!/usr/bin/env node
// Builds every workspace, then runs every compiled test file with node's test runner.
// Usage: npm test [-- <path filter> ...]   e.g. npm test -- docstore   or   npm test -- rooms
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildStaleBrowserApps } from './browser-apps.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const filters = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const passThrough = process.argv.slice(2).filter((a) => a.startsWith('--'));

const build = spawnSync('npx', ['tsc', '-b'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) {
  console.error('build failed: fix the TypeScript errors above (npx tsc -b)');
  process.exit(build.status ?? 1);
}
// The browser tests drive the built web app and admin console: rebuild them when their sources changed.
if (!buildStaleBrowserApps(root)) process.exit(1);

const workspaces = [
  'packages/docstore',
  'packages/client',
  'packages/plugin-sdk',
  'apps/server',
  'bench',
  'test',
  'plugins/moderation',
  'plugins/storage-quota',
  'plugins/example-roll',
];
const files = [];
function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (name === 'node_modules') continue;
    if (statSync(path).isDirectory()) walk(path);
    else if (/\.(spec|test)\.js$/.test(name)) files.push(path);
  }
}
for (const ws of workspaces) {
  const dist = join(root, ws, 'dist');
  if (existsSync(dist)) walk(dist);
}
const selected = files
  .map((f) => relative(root, f))
  .filter((f) => filters.length === 0 || filters.some((p) => f.includes(p)))
  .sort();
if (selected.length === 0) {
  console.error(`no test files matched ${filters.join(' ') || '(all)'}`);
  process.exit(1);
}
console.log(`running ${selected.length} test files`);
const run = spawnSync(
  process.execPath,
  ['--test', '--test-concurrency=1', '--test-reporter=spec', ...passThrough, ...selected],
  { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test' } },
);
process.exit(run.status ?? 1);
