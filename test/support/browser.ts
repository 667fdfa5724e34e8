import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser } from 'playwright-core';

/** Debian's chromium, driven headless by playwright-core (never a downloaded browser). */
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** The repository root (this file runs from test/dist/support). */
export const REPO_ROOT = resolve(__dirname, '..', '..', '..');

/** Launches chromium; a machine without it fails with the command that installs it. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 60_000 });
}

const BROWSER_APPS = {
  '@palaver/web': join('apps', 'web'),
  '@palaver/admin': 'admin',
} as const;

/**
 * `npm test` rebuilds stale browser apps before the tests (scripts/browser-apps.mjs); a test run on a
 * bare `tsc -b` tree builds the app it drives here when its dist/index.html is missing.
 */
export function ensureBrowserAppBuilt(workspace: keyof typeof BROWSER_APPS): void {
  const index = join(REPO_ROOT, BROWSER_APPS[workspace], 'dist', 'index.html');
  if (existsSync(index)) return;
  const build = spawnSync('npm', ['run', 'build', '-w', workspace], {
    cwd: REPO_ROOT,
    stdio: 'inherit',
    timeout: 300_000,
  });
  if (build.status !== 0 || !existsSync(index)) {
    throw new Error(`could not build ${workspace}: npm run build -w ${workspace}`);
  }
}
