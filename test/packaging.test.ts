import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { AppConfig } from '@palaver/server/dist/src/config/app-config';

const root = join(__dirname, '..', '..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const known = new Set([
  ...Object.keys(new AppConfig()),
  'PUBLIC_URL',
  'MONGO_URL',
  'REDIS_URL',
  'TOKEN_SECRET',
  'ADMIN_USERNAME',
  'ADMIN_PASSWORD',
  'METRICS_PORT',
  'NODE_ENV',
]);

describe('packaging', () => {
  it('the compose stack sets only variables Palaver reads', () => {
    const compose = parse(read('docker/compose.yaml'));
    const env = Object.keys(compose.services.palaver.environment);
    assert.ok(env.includes('MONGO_URL') && env.includes('REDIS_URL'));
    for (const name of env) assert.ok(known.has(name), `docker/compose.yaml sets unknown variable ${name}`);
  });

  it('the Ansible environment file and unit set only variables Palaver reads', () => {
    const envFile = read('ansible/roles/palaver/templates/palaver.env.j2');
    const unit = read('ansible/roles/palaver/templates/palaver@.service.j2');
    const names = [
      ...[...envFile.matchAll(/^([A-Z_]+)=/gm)].map((m) => m[1]),
      ...[...unit.matchAll(/^Environment=([A-Z_]+)=/gm)].map((m) => m[1]),
    ];
    assert.ok(names.length > 5);
    for (const name of names) assert.ok(known.has(name), `ansible sets unknown variable ${name}`);
  });

  it('every Ansible and compose YAML file parses', () => {
    const files = [
      'docker/compose.yaml',
      'ansible/site.yml',
      ...['common', 'nodejs', 'redis', 'mongodb', 'palaver', 'proxy'].map(
        (r) => `ansible/roles/${r}/tasks/main.yml`,
      ),
    ];
    for (const file of files) assert.doesNotThrow(() => parse(read(file)), file);
  });

  it('the image starts the file the build produces', () => {
    const dockerfile = read('docker/Dockerfile');
    const cmd = /CMD \[.*"(apps\/server\/dist\/src\/main\.js)"\]/.exec(dockerfile);
    assert.ok(cmd, 'Dockerfile CMD names the server entry point');
    assert.ok(existsSync(join(root, cmd[1])), `${cmd[1]} exists after the build`);
  });

  it('docs/config.md documents every configuration variable', () => {
    const doc = read('docs/config.md');
    for (const name of known) {
      if (name === 'NODE_ENV') continue;
      assert.ok(doc.includes(`\`${name}\``), `docs/config.md lacks ${name}`);
    }
  });
});
