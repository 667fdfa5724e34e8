import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkPlugin, type PluginContext } from '@palaver/plugin-sdk';
import plugin, {
  applyWordFilter,
  linkHosts,
  mentionCount,
  refusedLink,
  type ModerationSettings,
} from '../src/index';
import { defaultSettings } from '../src/settings';

const filter = (over: Partial<ModerationSettings['filter']> = {}) => ({ ...defaultSettings.filter, ...over });

/** A host API double holding kv in a Map and a counting rate limiter. */
function fakeContext(settings: ModerationSettings, createdAt = '2020-01-01T00:00:00.000Z') {
  const kv = new Map<string, unknown>();
  const counts = new Map<string, number>();
  const ctx = {
    settings,
    metrics: { increment: () => undefined },
    kv: {
      get: async (k: string) => kv.get(k),
      set: async (k: string, v: unknown) => void kv.set(k, v),
      list: async (prefix: string) =>
        [...kv.entries()]
          .filter(([k]) => k.startsWith(prefix))
          .sort()
          .map(([key, value]) => ({ key, value })),
    },
    users: { get: async (id: string) => ({ id, username: 'x', role: 'member', createdAt }) },
    rateLimit: {
      consume: async (key: string, limit: { points: number }) => {
        const n = (counts.get(key) ?? 0) + 1;
        counts.set(key, n);
        return { allowed: n <= limit.points, retryAfterMs: n <= limit.points ? 0 : 1000 };
      },
    },
  } as unknown as PluginContext<ModerationSettings>;
  return { ctx, kv };
}

const user = { id: 'u1', username: 'ann', role: 'member' as const };
type BeforeSend = (
  p: { user: typeof user; roomId: string; text: string },
  c: PluginContext<ModerationSettings>,
) => Promise<unknown>;
const beforeSend = plugin.hooks!['message.beforeSend'] as BeforeSend;

describe('moderation rules', () => {
  it('passes the host manifest check with its default settings', () => {
    const result = checkPlugin(plugin);
    assert.ok(result.ok, result.ok ? '' : result.reason);
  });

  it('blocks or masks whole words and regexes, with per-room overrides', () => {
    const f = filter({ patterns: ['darn', '/fr[o0]g+/i'], action: 'mask' });
    assert.deepEqual(applyWordFilter('Darn it, FROGGY!', 'r1', f), {
      kind: 'masked',
      text: '**** it, *****Y!',
    });
    assert.deepEqual(applyWordFilter('darning is fine', 'r1', f), { kind: 'clean' });
    const rooms = {
      strict: { action: 'block' as const, extraPatterns: ['heck'] },
      lax: { action: 'off' as const, extraPatterns: [] },
    };
    assert.equal(applyWordFilter('oh heck', 'strict', { ...f, rooms }).kind, 'blocked');
    assert.equal(applyWordFilter('oh heck', 'r1', { ...f, rooms }).kind, 'clean');
    assert.equal(applyWordFilter('darn', 'lax', { ...f, rooms }).kind, 'clean');
    assert.equal(applyWordFilter('text', 'r1', filter({ patterns: ['/(unclosed/'] })).kind, 'clean');
  });

  it('finds link hosts and applies allow and deny lists to subdomains', () => {
    assert.deepEqual(linkHosts('see https://Docs.Example.com/x and www.spam.test?q'), [
      'docs.example.com',
      'www.spam.test',
    ]);
    const links = { allowDomains: [], denyDomains: ['spam.test'], newAccountMinutes: 0 };
    assert.match(refusedLink(['www.spam.test'], links) ?? '', /not allowed/);
    assert.equal(refusedLink(['notspam.test'], links), undefined);
    assert.equal(refusedLink(['a.example.com'], { ...links, allowDomains: ['example.com'] }), undefined);
    assert.ok(refusedLink(['other.org'], { ...links, allowDomains: ['example.com'] }));
  });

  it('counts mentions but not e-mail addresses', () => {
    assert.equal(mentionCount('@ann @bob hi mail me at x@y.z'), 2);
  });
});

describe('moderation message.beforeSend', () => {
  it('limits a flooding user and audits it', async () => {
    const { ctx, kv } = fakeContext({ ...defaultSettings, flood: { messages: 2, perSeconds: 10 } });
    assert.equal(await beforeSend({ user, roomId: 'r', text: 'a' }, ctx), undefined);
    assert.equal(await beforeSend({ user, roomId: 'r', text: 'b' }, ctx), undefined);
    assert.deepEqual(await beforeSend({ user, roomId: 'r', text: 'c' }, ctx), {
      action: 'reject',
      reason: 'you are sending messages too fast',
      code: 'rate_limited',
      retryAfterMs: 1000,
    });
    const audits = [...kv.entries()]
      .filter(([k]) => k.startsWith('audit:'))
      .map(([, v]) => v as { action: string; userId: string });
    assert.deepEqual(
      audits.map((a) => [a.action, a.userId]),
      [['flood.limited', 'u1']],
    );
  });

  it('refuses links from accounts younger than the configured age', async () => {
    const settings = { ...defaultSettings, links: { ...defaultSettings.links, newAccountMinutes: 60 } };
    const young = fakeContext(settings, new Date().toISOString()).ctx;
    const old = fakeContext(settings).ctx;
    const text = 'look https://example.com';
    assert.equal(
      ((await beforeSend({ user, roomId: 'r', text }, young)) as { action: string }).action,
      'reject',
    );
    assert.equal(await beforeSend({ user, roomId: 'r', text }, old), undefined);
  });

  it('refuses messages over the mention limit', async () => {
    const { ctx } = fakeContext({ ...defaultSettings, mentions: { maxPerMessage: 2 } });
    const decision = (await beforeSend({ user, roomId: 'r', text: '@a @b @c' }, ctx)) as { reason: string };
    assert.equal(decision.reason, 'at most 2 mentions per message');
  });
});
