import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkPlugin, type PluginContext } from '@palaver/plugin-sdk';
import plugin, { rollCommand, type RollSettings } from '../src/index';

const settings: RollSettings = { maxDice: 10, maxSides: 100 };
const user = { id: 'u1', username: 'ann', role: 'member' as const };

describe('example-roll plugin', () => {
  it('passes the host manifest check', () => {
    const result = checkPlugin(plugin);
    assert.ok(result.ok, result.ok ? '' : result.reason);
  });

  it('replaces /roll NdS with the dice rolled and their total', () => {
    const sequence = [3, 5];
    const decision = rollCommand('/roll 2d6', settings, () => sequence.shift()!);
    assert.deepEqual(decision, { action: 'modify', changes: { text: '🎲 2d6: 3 + 5 = 8' } });
    assert.deepEqual(
      rollCommand('/roll', settings, () => 4),
      { action: 'modify', changes: { text: '🎲 1d6: 4' } },
    );
  });

  it('leaves other messages alone and refuses rolls beyond the settings', () => {
    assert.equal(rollCommand('hello /roll 2d6', settings), undefined);
    assert.equal(rollCommand('/rolls', settings), undefined);
    assert.deepEqual(rollCommand('/roll 11d6', settings), {
      action: 'reject',
      reason: 'you can roll 1 to 10 dice',
      code: 'rejected',
    });
    assert.equal(rollCommand('/roll 1d1000', { ...settings, maxSides: 20 })?.action, 'reject');
  });

  it('counts rolls through the host API from its message.beforeSend hook', async () => {
    const counted: string[] = [];
    const ctx = {
      settings,
      metrics: { increment: (name: string) => counted.push(name) },
    } as unknown as PluginContext<RollSettings>;
    const hook = plugin.hooks!['message.beforeSend'] as (
      payload: { user: typeof user; roomId: string; text: string },
      ctx: PluginContext<RollSettings>,
    ) => unknown;
    const decision = (await hook({ user, roomId: 'r1', text: '/roll 3d4' }, ctx)) as { action: string };
    assert.equal(decision.action, 'modify');
    assert.deepEqual(counted, ['rolls']);
  });
});
