import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { definePlugin } from './define-plugin';
import { apiVersionRefusal, checkPlugin } from './manifest';

interface GreeterSettings {
  greeting: string;
  maxPerMinute: number;
}

const valid = () =>
  definePlugin<GreeterSettings>({
    id: 'greeter',
    version: '1.2.0',
    apiVersion: '^1.0.0',
    permissions: ['messages.send'],
    settings: {
      schema: {
        type: 'object',
        properties: {
          greeting: { type: 'string', minLength: 1 },
          maxPerMinute: { type: 'integer', minimum: 1 },
        },
        required: ['greeting', 'maxPerMinute'],
        additionalProperties: false,
      },
      defaults: { greeting: 'hello', maxPerMinute: 5 },
    },
    hooks: { 'user.afterRegister': () => undefined },
  });

describe('checkPlugin', () => {
  it('accepts a well-formed plugin and fills manifest defaults', () => {
    const result = checkPlugin(valid());
    assert.ok(result.ok);
    assert.equal(result.manifest.priority, 100);
    assert.equal(result.manifest.enabledByDefault, true);
    assert.deepEqual(
      result.manifest.hooks.map((h) => h.name),
      ['user.afterRegister'],
    );
  });

  it('refuses an incompatible apiVersion and says which versions are involved', () => {
    const result = checkPlugin({ ...valid(), apiVersion: '^2.0.0' }, '1.0.0');
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.field, 'apiVersion');
    assert.equal(
      !result.ok && result.reason,
      'apiVersion: plugin requires Plugin API ^2.0.0, this server provides 1.0.0',
    );
    assert.match(apiVersionRefusal('banana') ?? '', /not a semver range/);
    assert.equal(apiVersionRefusal('>=1.0.0 <3', '2.4.0'), undefined);
  });

  it('names the first bad manifest field', () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ id: 'Bad Id' }, 'id'],
      [{ version: 'one' }, 'version'],
      [{ permissions: ['root'] }, 'permissions'],
      [{ priority: -1 }, 'priority'],
      [{ hooks: { 'message.beforeSned': () => undefined } }, 'hooks.0.name'],
      [{ hooks: { 'message.beforeSend': { timeoutMs: 10 } } }, 'hooks.message.beforeSend'],
      [{ routes: [{ method: 'GET', path: '/x', role: 'member', handler: () => 1 }] }, 'permissions'],
      [{ routes: [{ method: 'PATCH', path: '/x', role: 'member', handler: () => 1 }] }, 'routes.0.method'],
    ];
    for (const [override, field] of cases) {
      const result = checkPlugin({ ...valid(), ...override });
      assert.equal(result.ok, false, JSON.stringify(override));
      assert.equal(!result.ok && result.field, field, JSON.stringify(override));
    }
    assert.equal(checkPlugin(undefined).ok, false);
  });

  it('refuses defaults that do not satisfy the settings schema, and schemas that are not valid', () => {
    const bad = valid();
    bad.settings = { ...bad.settings!, defaults: { greeting: '', maxPerMinute: 5 } };
    const result = checkPlugin(bad);
    assert.equal(
      !result.ok && result.reason,
      'settings.defaults: greeting must NOT have fewer than 1 characters',
    );

    const typo = valid() as unknown as { settings: { schema: Record<string, unknown> } };
    typo.settings.schema = { ...typo.settings.schema, propertys: {} };
    const typoResult = checkPlugin(typo);
    assert.equal(!typoResult.ok && typoResult.field, 'settings.schema');
  });
});
