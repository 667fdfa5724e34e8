import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { PLUGIN_API_VERSION } from '../src/define-plugin';

const CLI = join(__dirname, '..', 'src', 'cli.js');
const work = mkdtempSync(join(tmpdir(), 'palaver-plugin-cli-'));

function run(...args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
}

function writePlugin(name: string, pkg: object, source: string): string {
  const dir = join(work, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg));
  writeFileSync(join(dir, 'index.js'), source);
  return dir;
}

describe('palaver-plugin CLI', () => {
  after(() => rmSync(work, { recursive: true, force: true }));

  it('create copies the example plugin as a standalone project under the new id', () => {
    const result = run('create', join(work, 'my-bot'));
    assert.equal(result.status, 0, result.stderr);
    const dir = join(work, 'my-bot');
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    assert.equal(pkg.name, 'palaver-plugin-my-bot');
    assert.deepEqual(pkg.palaver, { plugin: true });
    assert.match(pkg.dependencies['@palaver/plugin-sdk'], /^\^1\./);
    const source = readFileSync(join(dir, 'src', 'index.ts'), 'utf8');
    assert.match(source, /id: 'my-bot'/);
    assert.ok(existsSync(join(dir, 'test')));
    assert.ok(existsSync(join(dir, 'tsconfig.json')));
    assert.notEqual(run('create', dir).status, 0, 'refuses a non-empty directory');
    assert.match(run('create', join(work, 'x'), '--id', 'Bad Id').stderr, /must be 2-49/);
  });

  it('validate accepts a plugin the server would load and prints what it declares', () => {
    const dir = writePlugin(
      'fine',
      { name: 'fine', main: 'index.js', palaver: { plugin: true } },
      `module.exports = { id: 'fine', version: '1.0.0', apiVersion: '^1.0.0', permissions: ['kv'],
         hooks: { 'message.afterSend': () => undefined } };`,
    );
    const result = run('validate', dir);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^ok: fine@1\.0\.0 for Plugin API \^1\.0\.0/);
    assert.match(result.stdout, /hooks: message\.afterSend/);
  });

  it('validate names the reason a plugin would be refused', () => {
    const future = writePlugin(
      'future',
      { name: 'future', main: 'index.js', palaver: { plugin: true } },
      `exports.default = { id: 'future', version: '1.0.0', apiVersion: '^9.0.0', permissions: [] };`,
    );
    const refused = run('validate', future);
    assert.equal(refused.status, 1);
    assert.ok(
      refused.stderr.includes(
        `apiVersion: plugin requires Plugin API ^9.0.0, this server provides ${PLUGIN_API_VERSION}`,
      ),
      refused.stderr,
    );

    const unmarked = writePlugin('unmarked', { name: 'unmarked', main: 'index.js' }, 'module.exports = {};');
    assert.match(run('validate', unmarked).stderr, /"palaver": \{ "plugin": true \}/);
  });
});
