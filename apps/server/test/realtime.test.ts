import { MessageView, PalaverClient } from '@palaver/client';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { io } from 'socket.io-client';
import { AuthService } from '../src/auth/auth.service';
import { collect, nextEvent, rejectsWith, settle, waitFor } from './realtime-helpers';
import { registerUser, startTestServer, TestServer, TestUserClient } from './utils';

describe('realtime gateway (Socket.IO)', () => {
  let server: TestServer;
  let alice: TestUserClient;
  let bob: TestUserClient;
  let carol: TestUserClient;
  let roomId: string;
  const clients: PalaverClient[] = [];

  before(async () => {
    server = await startTestServer({ env: { MESSAGE_MAX_LENGTH: '200' } });
    [alice, bob, carol] = await Promise.all([
      registerUser(server),
      registerUser(server),
      registerUser(server),
    ]);
    clients.push(alice, bob, carol);
    await Promise.all(clients.map((c) => c.socket.connect()));
    roomId = (await alice.socket.createRoom({ name: 'general', kind: 'public' })).id;
    await bob.socket.joinRoom(roomId);
    await carol.socket.joinRoom(roomId);
  });
  after(async () => {
    for (const c of clients) c.socket.disconnect();
    await server?.close();
  });

  it('refuses a handshake without a valid access token with connect_error unauthorized', async () => {
    for (const auth of [{}, { token: 'not-a-jwt' }, { token: 42 }]) {
      const raw = io(server.url, { transports: ['websocket'], auth, reconnection: false });
      const err = await new Promise<Error & { data?: { code?: string } }>((resolve) =>
        raw.on('connect_error', resolve),
      );
      raw.close();
      assert.equal(err.data?.code, 'unauthorized', JSON.stringify(auth));
    }
  });

  it('refuses a browser handshake from a foreign origin and accepts the server’s own', async () => {
    const token = alice.http.accessToken ?? '';
    const attempt = (origin: string) =>
      new Promise<string>((resolve) => {
        const raw = io(server.url, {
          transports: ['websocket'],
          auth: { token },
          reconnection: false,
          extraHeaders: { origin },
        });
        raw.on('connect', () => {
          raw.close();
          resolve('connected');
        });
        raw.on('connect_error', (err) => {
          raw.close();
          resolve(`refused: ${err.message}`);
        });
      });
    assert.match(await attempt('https://evil.example'), /^refused/);
    assert.equal(await attempt(server.url), 'connected');
  });

  it('delivers every message to every member online exactly once, in seq order', async () => {
    const received = clients.map((c) => collect(c, 'message.created'));
    const acks = [];
    for (let i = 0; i < 10; i += 1) {
      const sender = clients[i % clients.length];
      acks.push(await sender.socket.send(roomId, `hello ${i}`));
    }
    await settle(alice, roomId, clients);
    for (const list of received) {
      const mine = list.filter((m) => m.text.startsWith('hello '));
      assert.deepEqual(
        mine.map((m) => m.id),
        acks.map((a) => a.id),
      );
      const seqs = mine.map((m) => m.seq);
      assert.deepEqual(
        seqs,
        [...seqs].sort((a, b) => a - b),
      );
    }
    assert.ok(acks.every((a) => !a.duplicate && a.seq === a.changeSeq));
  });

  it('a retried send with the same clientMessageId is stored and broadcast once, acked with the original', async () => {
    const received = collect(bob, 'message.created');
    const [first, second] = await Promise.all([
      alice.socket.send(roomId, 'only once', { clientMessageId: 'retry-1' }),
      alice.socket.send(roomId, 'only once', { clientMessageId: 'retry-1' }),
    ]);
    const third = await alice.socket.send(roomId, 'only once', { clientMessageId: 'retry-1' });
    assert.equal(first.id, second.id);
    assert.equal(first.id, third.id);
    assert.equal([first, second].filter((a) => a.duplicate).length, 1);
    assert.equal(third.duplicate, true);
    await settle(alice, roomId, [bob]);
    assert.equal(received.filter((m) => m.text === 'only once').length, 1);
    const page = await bob.socket.history({ roomId, limit: 100 });
    assert.equal(page.messages.filter((m) => m.clientMessageId === 'retry-1').length, 1);
  });

  it('propagates edits and deletions to every member once, with a fresh changeSeq', async () => {
    const ack = await bob.socket.send(roomId, 'typo');
    const updates = clients.map((c) => collect(c, 'message.updated'));
    const deletions = clients.map((c) => collect(c, 'message.deleted'));
    const edited = await bob.socket.edit(ack.id, 'fixed');
    assert.equal(edited.text, 'fixed');
    assert.ok(edited.changeSeq > ack.seq);
    assert.equal(edited.seq, ack.seq);
    assert.notEqual(edited.editedAt, null);
    const deleted = await bob.socket.delete(ack.id);
    assert.equal(deleted.deleted, true);
    assert.equal(deleted.text, '');
    assert.ok(deleted.changeSeq > edited.changeSeq);
    await settle(alice, roomId, clients);
    for (const list of updates)
      assert.deepEqual(
        list.map((m: MessageView) => [m.id, m.text]),
        [[ack.id, 'fixed']],
      );
    for (const list of deletions)
      assert.deepEqual(
        list.map((m: MessageView) => [m.id, m.deleted]),
        [[ack.id, true]],
      );
  });

  it('answers bad payloads with validation_failed naming the field', async () => {
    await rejectsWith(alice.socket.send(roomId, ''), { code: 'validation_failed', field: 'text' });
    await rejectsWith(alice.socket.send('not-an-id', 'x'), { code: 'validation_failed', field: 'roomId' });
    await rejectsWith(alice.socket.send(roomId, 'x', { clientMessageId: 'has spaces' }), {
      code: 'validation_failed',
      field: 'clientMessageId',
    });
    await rejectsWith(alice.socket.send(roomId, 'x'.repeat(201)), {
      code: 'payload_too_large',
      field: 'text',
    });
    await rejectsWith(
      alice.socket.request('message:send', { roomId, text: 'x', clientMessageId: 'a', extra: 1 } as never),
      {
        code: 'validation_failed',
        field: 'extra',
      },
    );
    await rejectsWith(alice.socket.history({ roomId, limit: 1000 }), {
      code: 'validation_failed',
      field: 'limit',
    });
  });

  it('answers an unknown event with an unknown_event error ack', async () => {
    const raw = alice.socket.io as unknown as {
      timeout(ms: number): { emitWithAck(event: string, ...args: unknown[]): Promise<unknown> };
    };
    const res = (await raw.timeout(2000).emitWithAck('no:such', {})) as { error: { code: string } };
    assert.equal(res.error.code, 'unknown_event');
  });

  it('survives garbage payloads: non-objects, several arguments, no ack, oversized packets', async () => {
    const raw = alice.socket.io as unknown as {
      timeout(ms: number): { emitWithAck(event: string, ...args: unknown[]): Promise<unknown> };
      emit(event: string, ...args: unknown[]): void;
    };
    for (const payload of ['garbage', 42, null, [1, 2], true]) {
      const res = (await raw.timeout(2000).emitWithAck('message:send', payload)) as {
        error: { code: string };
      };
      assert.equal(res.error.code, 'validation_failed', JSON.stringify(payload));
    }
    const several = (await raw.timeout(2000).emitWithAck('message:send', { roomId }, { text: 'x' })) as {
      error: { code: string };
    };
    assert.equal(several.error.code, 'validation_failed');
    raw.emit('message:send', { roomId, text: 'no ack', clientMessageId: 'no-ack' });
    raw.emit('message:send', 'garbage without ack');
    const deep = {
      roomId,
      text: 'x',
      clientMessageId: 'deep',
      nested: JSON.parse('{"__proto__": {"polluted": true}}'),
    };
    const res = (await raw.timeout(2000).emitWithAck('message:send', deep)) as { error: { code: string } };
    assert.equal(res.error.code, 'validation_failed');

    // An oversized packet closes that one connection (Socket.IO's maxHttpBufferSize), nothing else.
    const victim = await registerUser(server);
    clients.push(victim);
    await victim.socket.connect();
    const closed = new Promise<string>((resolve) => victim.socket.io.once('disconnect', resolve));
    (victim.socket.io as unknown as { emit(e: string, p: unknown): void }).emit('message:send', {
      roomId,
      text: 'x'.repeat(2_000_000),
      clientMessageId: 'huge',
    });
    assert.match(await closed, /transport/);
    victim.socket.disconnect();

    // The server and everyone else carry on.
    const ack = await alice.socket.send(roomId, 'still alive');
    assert.ok(ack.seq > 0);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('disconnects the live sockets of a session that logs out, leaving other sessions connected', async () => {
    const dave = await registerUser(server);
    const daveOther = new PalaverClient(server.url);
    await daveOther.login(dave.user.username, dave.password);
    clients.push(dave, daveOther);
    await Promise.all([dave.socket.connect(), daveOther.socket.connect()]);
    const ended = nextEvent(dave, 'session.ended');
    const disconnected = new Promise<string>((resolve) => dave.socket.io.once('disconnect', resolve));
    await dave.logout();
    assert.equal((await ended).reason, 'logout');
    assert.equal(await disconnected, 'io server disconnect');
    assert.equal(daveOther.socket.connected, true);
    // Logged out, the client has no token to present or refresh: connect() fails instead of looping.
    await rejectsWith(dave.socket.connect(), { code: 'unauthorized' });
    // A changed password ends every session, so the other device is disconnected too.
    const otherGone = new Promise<string>((resolve) => daveOther.socket.io.once('disconnect', resolve));
    await daveOther.changePassword(dave.password, `${dave.password}-new`);
    assert.equal(await otherGone, 'io server disconnect');
  });

  it('refreshes an expired access token when reconnecting', async () => {
    const erin = await registerUser(server);
    clients.push(erin);
    // Swap in a token the server rejects; the client must refresh through HTTP and connect.
    const tokens = erin.http.currentTokens;
    assert.ok(tokens);
    erin.http.setTokens({ ...tokens, accessToken: `${tokens.accessToken}x` });
    await erin.socket.connect();
    assert.equal(erin.socket.connected, true);
    assert.notEqual(erin.http.accessToken, `${tokens.accessToken}x`);
    const user = await server.app.get(AuthService).authenticate(erin.http.accessToken ?? '');
    assert.equal(user.id, erin.user.id);
  });

  it('joins a reconnecting socket to the rooms of its user again', async () => {
    await waitFor(() => bob.socket.connected, 5000, 'bob connected');
    bob.socket.disconnect();
    await bob.socket.connect();
    const got = nextEvent(bob, 'message.created', (m) => m.text === 'after reconnect');
    await alice.socket.send(roomId, 'after reconnect');
    assert.equal((await got).roomId, roomId);
  });
});
