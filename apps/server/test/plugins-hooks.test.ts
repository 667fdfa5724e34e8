import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { PalaverApiError, PalaverClient, type RoomView } from '@palaver/client';
import { writePluginsDir } from './support/plugin-fixtures';
import { registerUser, startTestServer, waitFor, type TestServer, type TestUserClient } from './utils';

// Throwaway plugins, plain CommonJS objects shaped by @palaver/plugin-sdk's definePlugin.
const tagger = (id: string, priority: number) => `module.exports = {
  id: '${id}', version: '1.0.0', apiVersion: '^1.0.0', permissions: [], priority: ${priority},
  hooks: { 'message.beforeSend': ({ text }) => text.startsWith('order:') ? { action: 'modify', changes: { text: text + '>${id}' } } : undefined },
};`;

const GATEKEEPER = `module.exports = {
  id: 'gatekeeper', version: '1.0.0', apiVersion: '^1.0.0', permissions: ['kv', 'http.routes'],
  hooks: {
    'message.beforeSend': ({ text }) => text.includes('forbidden') ? { action: 'reject', reason: 'no forbidden words' } : undefined,
    'message.afterSend': async ({ message }, ctx) => { await ctx.kv.set('sent:' + message.id, message.text); },
    'message.beforeEdit': ({ text }) => text.includes('noedit') ? { action: 'reject', reason: 'edit refused' } : { action: 'modify', changes: { text: text + ' (edited)' } },
    'message.beforeDelete': ({ message }) => message.text.includes('keep') ? { action: 'reject', reason: 'this one stays' } : undefined,
    'room.beforeCreate': ({ name }) => name.startsWith('bad') ? { action: 'reject', reason: 'bad room name' } : undefined,
    'room.beforeJoin': ({ roomName }) => roomName === 'closed-club' ? { action: 'reject', reason: 'members only', code: 'forbidden' } : undefined,
    'user.beforeLogin': ({ username }) => username.startsWith('blocked') ? { action: 'reject', reason: 'logins paused for you' } : undefined,
    'user.afterRegister': async ({ user }, ctx) => { await ctx.kv.set('registered:' + user.id, user.username); },
  },
  routes: [{ method: 'GET', path: '/kv/:key', role: 'member', handler: async ({ params }, ctx) => ({ value: (await ctx.kv.get(params.key)) ?? null }) }],
};`;

const THROWER = `module.exports = {
  id: 'thrower', version: '1.0.0', apiVersion: '^1.0.0', permissions: [],
  hooks: { 'message.beforeSend': ({ text }) => { if (text.includes('boom')) throw new Error('thrower exploded'); } },
};`;

const SLEEPER = `module.exports = {
  id: 'sleeper', version: '1.0.0', apiVersion: '^1.0.0', permissions: [],
  hooks: { 'message.beforeSend': { timeoutMs: 100, handler: ({ text }) => text.includes('slow') ? new Promise((r) => setTimeout(r, 3000).unref()) : undefined } },
};`;

const STRICT = `module.exports = {
  id: 'strict', version: '1.0.0', apiVersion: '^1.0.0', permissions: [],
  hooks: { 'message.beforeSend': { failure: 'closed', handler: ({ text }) => { if (text.includes('strict-fail')) throw new Error('cannot decide'); } } },
};`;

// Answers "!ping" with a system message; "!ping-archived" targets a room id given after the word.
const PONGER = `module.exports = {
  id: 'ponger', version: '1.0.0', apiVersion: '^1.0.0', permissions: ['messages.send', 'kv'],
  hooks: {
    'message.afterSend': async ({ message }, ctx) => {
      if (message.text !== '!ping') return;
      const { id } = await ctx.messages.sendSystem(message.roomId, 'pong');
      await ctx.kv.set('pong:' + message.id, id);
    },
  },
};`;

// Declares no messages.send permission, so the host refuses its system message (the hook fails).
const SNEAK = `module.exports = {
  id: 'sneak', version: '1.0.0', apiVersion: '^1.0.0', permissions: [],
  hooks: {
    'message.afterSend': async ({ message }, ctx) => {
      if (message.text === '!sneak') await ctx.messages.sendSystem(message.roomId, 'sneaked');
    },
  },
};`;

interface Summary {
  id: string;
  counters: { errors: number; timeouts: number };
  recentFailures: Array<{ hook: string; kind: string; message: string }>;
}

describe('plugin hooks through the real server', () => {
  let server: TestServer;
  let pluginsDir: string;
  let admin: TestUserClient;
  let alice: TestUserClient;
  let room: RoomView;

  before(async () => {
    pluginsDir = await writePluginsDir({
      'order-a': tagger('order-a', 20),
      'order-b': tagger('order-b', 10),
      'order-c': tagger('order-c', 10),
      gatekeeper: GATEKEEPER,
      thrower: THROWER,
      sleeper: SLEEPER,
      strict: STRICT,
      ponger: PONGER,
      sneak: SNEAK,
    });
    server = await startTestServer({ env: { PLUGINS_DIR: pluginsDir } });
    admin = await registerUser(server);
    alice = await registerUser(server);
    room = await alice.rooms.create({ name: 'general', kind: 'public' });
  });

  after(async () => {
    await server?.close();
    if (pluginsDir) await rm(pluginsDir, { recursive: true, force: true });
  });

  const historyHas = async (text: string) =>
    (await alice.messages.history(room.id)).messages.some((m) => m.text === text);
  const summary = async (id: string) => admin.http.request<Summary>('GET', `/admin/plugins/${id}`);
  const kv = async (key: string) =>
    (await alice.http.request<{ value: unknown }>('GET', `/plugins/gatekeeper/kv/${encodeURIComponent(key)}`))
      .value;

  it('runs message.beforeSend hooks by priority, then id, each seeing the previous change', async () => {
    const ack = await alice.messages.send(room.id, 'order:');
    const page = await alice.messages.history(room.id);
    const stored = page.messages.find((m) => m.id === ack.id);
    assert.equal(stored?.text, 'order:>order-b>order-c>order-a');
  });

  it('shows a rejection reason to the sender and stores nothing', async () => {
    await assert.rejects(alice.messages.send(room.id, 'some forbidden text'), (err: PalaverApiError) => {
      assert.equal(err.status, 422);
      assert.equal(err.code, 'rejected');
      assert.equal(err.message, 'no forbidden words');
      return true;
    });
    const page = await alice.messages.history(room.id);
    assert.ok(!page.messages.some((m) => m.text.includes('forbidden')));
  });

  it('rejects over a socket with an error ack carrying the reason', async () => {
    const client = new PalaverClient(server.url);
    await client.login(alice.user!.username, alice.password);
    await client.socket.connect();
    try {
      await assert.rejects(
        client.socket.send(room.id, 'forbidden by socket'),
        (err: Error & { code?: string }) => {
          assert.equal(err.code, 'rejected');
          assert.equal(err.message, 'no forbidden words');
          return true;
        },
      );
    } finally {
      client.socket.disconnect();
    }
  });

  it('runs message.afterSend after the message is stored', async () => {
    const ack = await alice.messages.send(room.id, 'hello after');
    await waitFor(async () => (await kv(`sent:${ack.id}`)) === 'hello after', 5000, 'afterSend hook');
  });

  it('a plugin with messages.send posts a system message that members receive live and in history', async () => {
    const bob = await registerUser(server);
    await bob.rooms.join(room.id);
    await bob.socket.connect();
    const seen: Array<{ text: string; authorId: string; authorUsername: string }> = [];
    const off = bob.socket.on('message.created', (m) => {
      seen.push({ text: m.text, authorId: m.authorId, authorUsername: m.authorUsername });
    });
    try {
      await alice.messages.send(room.id, '!ping');
      await waitFor(async () => seen.some((m) => m.text === 'pong'), 5000, 'system message delivered');
      assert.deepEqual(
        seen.filter((m) => m.text === 'pong'),
        [{ text: 'pong', authorId: 'system', authorUsername: 'ponger' }],
      );
      const stored = (await alice.messages.history(room.id)).messages.filter((m) => m.text === 'pong');
      assert.equal(stored.length, 1);
      assert.equal(stored[0].authorId, 'system');
    } finally {
      off();
      bob.socket.disconnect();
    }
  });

  it('a plugin without messages.send cannot post system messages', async () => {
    const ack = await alice.messages.send(room.id, '!sneak');
    assert.equal(ack.duplicate, false);
    await waitFor(async () => (await summary('sneak')).recentFailures.length > 0, 5000, 'refusal recorded');
    const [failure] = (await summary('sneak')).recentFailures;
    assert.equal(failure.hook, 'message.afterSend');
    assert.match(failure.message, /messages\.send/);
    assert.equal(await historyHas('sneaked'), false, 'no system message was stored');
  });

  it('a throwing plugin does not break sends; the failure is counted and shown to admins', async () => {
    const ack = await alice.messages.send(room.id, 'boom goes the plugin');
    assert.ok(ack.id);
    const thrower = await summary('thrower');
    assert.equal(thrower.counters.errors, 1);
    assert.deepEqual(
      thrower.recentFailures.map((f) => [f.hook, f.kind, f.message]),
      [['message.beforeSend', 'error', 'thrower exploded']],
    );
  });

  it('a plugin that overruns its budget does not stall the message; it is cut off and counted', async () => {
    const ack = await alice.messages.send(room.id, 'slow plugin ahead');
    const stored = (await alice.messages.history(room.id)).messages.find((m) => m.id === ack.id);
    assert.equal(stored?.text, 'slow plugin ahead');
    const sleeper = await summary('sleeper');
    assert.equal(sleeper.counters.timeouts, 1);
    assert.match(sleeper.recentFailures[0].message, /100 ms budget/);
  });

  it('a fail-closed hook that throws refuses the message instead of letting it through', async () => {
    await assert.rejects(alice.messages.send(room.id, 'strict-fail please'), (err: PalaverApiError) => {
      assert.equal(err.status, 422);
      assert.match(err.message, /plugin strict could not check it/);
      return true;
    });
  });

  it('message.beforeEdit may rewrite or refuse an edit; message.beforeDelete may refuse a delete', async () => {
    const ack = await alice.messages.send(room.id, 'please keep me');
    const edited = await alice.messages.edit(ack.id, 'keep me, changed');
    assert.equal(edited.text, 'keep me, changed (edited)');
    await assert.rejects(
      alice.messages.edit(ack.id, 'noedit now'),
      (err: PalaverApiError) => err.message === 'edit refused',
    );
    await assert.rejects(
      alice.messages.delete(ack.id),
      (err: PalaverApiError) => err.message === 'this one stays',
    );
    const other = await alice.messages.send(room.id, 'delete me');
    assert.ok((await alice.messages.delete(other.id)).id);
  });

  it('room.beforeCreate and room.beforeJoin can refuse', async () => {
    await assert.rejects(
      alice.rooms.create({ name: 'bad-idea', kind: 'public' }),
      (err: PalaverApiError) => err.message === 'bad room name',
    );
    const club = await alice.rooms.create({ name: 'closed-club', kind: 'public' });
    const bob = await registerUser(server);
    await assert.rejects(
      bob.rooms.join(club.id),
      (err: PalaverApiError) => err.status === 403 && err.message === 'members only',
    );
    assert.ok(await bob.rooms.join(room.id));
  });

  it('user.afterRegister sees new accounts and user.beforeLogin can refuse a login', async () => {
    const carol = await registerUser(server);
    await waitFor(
      async () => (await kv(`registered:${carol.user!.id}`)) === carol.user!.username,
      5000,
      'afterRegister hook',
    );
    const blocked = await registerUser(server, `blocked_${Date.now()}`);
    await assert.rejects(
      new PalaverClient(server.url).login(blocked.user!.username, blocked.password),
      (err: PalaverApiError) => {
        assert.equal(err.message, 'logins paused for you');
        return true;
      },
    );
  });

  it('a disabled plugin stops running at once, without a restart', async () => {
    await admin.http.request('POST', '/admin/plugins/gatekeeper/disable');
    const ack = await alice.messages.send(room.id, 'forbidden is fine now');
    assert.ok(ack.id);
    await admin.http.request('POST', '/admin/plugins/gatekeeper/enable');
    await assert.rejects(alice.messages.send(room.id, 'forbidden again'), PalaverApiError);
  });
});
