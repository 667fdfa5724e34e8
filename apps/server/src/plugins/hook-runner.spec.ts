import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  definePlugin,
  modify,
  reject,
  type PluginContext,
  type PluginDefinition,
  type PluginHooks,
} from '@palaver/plugin-sdk';
import { PayloadTooLargeError, RateLimitedError, RejectedError } from '../common/domain-error';
import { HookRunner } from './hook-runner';
import { newCounters, type LoadedPlugin } from './loaded-plugin';
import { PluginMetrics } from './plugin-metrics';
import { PluginRegistry } from './plugin-registry';

const user = { id: 'u1', username: 'ann', role: 'member' as const };

function plugin(
  id: string,
  hooks: PluginHooks<unknown>,
  extra: Partial<PluginDefinition<unknown>> = {},
): LoadedPlugin {
  const definition = definePlugin<unknown>({
    id,
    version: '1.0.0',
    apiVersion: '^1.0.0',
    permissions: [],
    hooks,
    ...extra,
  });
  return {
    id,
    source: 'test',
    status: 'enabled',
    definition,
    manifest: { priority: extra.priority ?? 100 } as LoadedPlugin['manifest'],
    settings: {},
    context: { pluginId: id } as PluginContext<unknown>,
    counters: newCounters(),
    recentFailures: [],
  };
}

function runnerWith(...plugins: LoadedPlugin[]): HookRunner {
  const registry = new PluginRegistry();
  for (const p of plugins) registry.add(p);
  return new HookRunner(registry, new PluginMetrics());
}

describe('HookRunner', () => {
  it('runs hooks by ascending priority, then by plugin id, each seeing the previous changes', async () => {
    const seen: string[] = [];
    const tag = (name: string) => (payload: { text: string }) => {
      seen.push(name);
      return modify({ text: `${payload.text}>${name}` });
    };
    const runner = runnerWith(
      plugin('zeta', { 'message.beforeSend': tag('zeta') }, { priority: 10 }),
      plugin('beta', { 'message.beforeSend': tag('beta') }),
      plugin('alpha', { 'message.beforeSend': tag('alpha') }),
      plugin('late', { 'message.beforeSend': { handler: tag('late'), priority: 500 } }, { priority: 1 }),
    );
    const result = await runner.gate('message.beforeSend', { user, roomId: 'r1', text: 'hi' });
    assert.deepEqual(seen, ['zeta', 'alpha', 'beta', 'late']);
    assert.equal(result.text, 'hi>zeta>alpha>beta>late');
  });

  it('stops at the first rejection and reports its reason to the caller', async () => {
    let laterRan = false;
    const runner = runnerWith(
      plugin('a-filter', { 'message.beforeSend': () => reject('no shouting') }),
      plugin('b-later', { 'message.beforeSend': () => void (laterRan = true) }),
    );
    await assert.rejects(runner.gate('message.beforeSend', { user, roomId: 'r1', text: 'HI' }), (err) => {
      assert.ok(err instanceof RejectedError);
      assert.equal(err.message, 'no shouting');
      return true;
    });
    assert.equal(laterRan, false);
  });

  it('maps rejection codes to the matching domain errors', async () => {
    const runner = runnerWith(
      plugin('quota', {
        'upload.onChunk': ({ receivedBytes }) =>
          receivedBytes > 10 ? reject('quota exceeded', 'payload_too_large') : undefined,
      }),
      plugin('flood', { 'message.beforeSend': () => reject('slow down', 'rate_limited', 1500) }),
    );
    const upload = { uploadId: 'm1', roomId: 'r1', filename: 'a', contentType: 'text/plain' };
    await runner.gate('upload.onChunk', { user, upload, chunkBytes: 10, receivedBytes: 10 });
    await assert.rejects(
      runner.gate('upload.onChunk', { user, upload, chunkBytes: 1, receivedBytes: 11 }),
      PayloadTooLargeError,
    );
    await assert.rejects(runner.gate('message.beforeSend', { user, roomId: 'r1', text: 'x' }), (err) => {
      assert.ok(err instanceof RateLimitedError);
      assert.equal(err.retryAfterMs, 1500);
      return true;
    });
  });

  it('skips a throwing hook when it fails open, and records and counts the failure', async () => {
    const broken = plugin('broken', {
      'message.beforeSend': () => {
        throw new Error('boom');
      },
    });
    const runner = runnerWith(
      broken,
      plugin('upper', { 'message.beforeSend': (p) => modify({ text: p.text.toUpperCase() }) }),
    );
    const result = await runner.gate('message.beforeSend', { user, roomId: 'r1', text: 'hi' });
    assert.equal(result.text, 'HI');
    assert.equal(broken.counters.errors, 1);
    assert.equal(broken.recentFailures[0].kind, 'error');
    assert.equal(broken.recentFailures[0].message, 'boom');
    assert.equal(broken.recentFailures[0].hook, 'message.beforeSend');
  });

  it('stops waiting for a hook that overruns its budget and carries on without it', async () => {
    const slow = plugin('slow', {
      'message.beforeSend': {
        handler: () => new Promise<undefined>((r) => setTimeout(() => r(undefined), 5000).unref()),
        timeoutMs: 30,
      },
    });
    const runner = runnerWith(slow);
    const result = await runner.gate('message.beforeSend', { user, roomId: 'r1', text: 'hi' });
    assert.equal(result.text, 'hi');
    assert.equal(slow.counters.timeouts, 1);
    assert.match(slow.recentFailures[0].message, /30 ms/);
  });

  it('treats a failing fail-closed hook as a rejection', async () => {
    const quota = plugin('quota', {
      'upload.beforeStart': () => {
        throw new Error('database down');
      },
    });
    const runner = runnerWith(quota);
    const upload = { uploadId: 'm1', roomId: 'r1', filename: 'a', contentType: 'text/plain' };
    await assert.rejects(runner.gate('upload.beforeStart', { user, upload }), (err) => {
      assert.ok(err instanceof RejectedError);
      assert.match(err.message, /plugin quota could not check it/);
      assert.doesNotMatch(err.message, /database down/);
      return true;
    });
    const strict = plugin('strict', {
      'message.beforeSend': { handler: () => new Promise(() => undefined), timeoutMs: 20, failure: 'closed' },
    });
    await assert.rejects(
      runnerWith(strict).gate('message.beforeSend', { user, roomId: 'r', text: 'x' }),
      RejectedError,
    );
    assert.equal(strict.counters.timeouts, 1);
  });

  it('counts malformed results as failures and ignores changes to fields a hook may not change', async () => {
    const sneaky = plugin('sneaky', {
      'message.beforeSend': () => modify({ roomId: 'elsewhere' } as unknown as { text: string }),
    });
    const runner = runnerWith(sneaky);
    const result = await runner.gate('message.beforeSend', { user, roomId: 'r1', text: 'hi' });
    assert.equal(result.roomId, 'r1');
    assert.equal(sneaky.recentFailures[0].kind, 'invalid-result');
  });

  it('does not let a plugin mutate the payload later plugins and the caller see', async () => {
    const mutator = plugin('a', {
      'message.beforeSend': (payload) => {
        (payload as { text: string }).text = 'mutated';
      },
    });
    const runner = runnerWith(mutator);
    const payload = { user, roomId: 'r1', text: 'hi' };
    const result = await runner.gate('message.beforeSend', payload);
    assert.equal(result.text, 'hi');
    assert.equal(payload.text, 'hi');
  });

  it('runs every notify hook even when one throws, and skips disabled plugins', async () => {
    const calls: string[] = [];
    const off = plugin('off', { 'user.afterRegister': () => void calls.push('off') });
    off.status = 'disabled';
    const runner = runnerWith(
      plugin('a', {
        'user.afterRegister': () => {
          throw new Error('x');
        },
      }),
      plugin('b', { 'user.afterRegister': () => void calls.push('b') }),
      off,
    );
    await runner.notify('user.afterRegister', { user });
    assert.deepEqual(calls, ['b']);
    assert.equal(runner.has('user.afterRegister'), true);
    assert.equal(runner.has('report.created'), false);
  });
});
