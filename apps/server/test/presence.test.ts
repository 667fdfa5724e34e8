import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PalaverClient } from '@palaver/client';
import { collect, nextEvent, rejectsWith, settle } from './realtime-helpers';
import { startTestServer, TestServer, TestUserClient, waitFor, registerMembers } from './utils';

describe('presence and typing', () => {
  let server: TestServer;
  let alice: TestUserClient;
  let alice2: PalaverClient;
  let bob: TestUserClient;
  /** Shares no room with alice. */
  let carol: TestUserClient;
  let roomId: string;

  before(async () => {
    server = await startTestServer();
    [alice, bob, carol] = await registerMembers(server, 3);
    alice2 = new PalaverClient(server.url);
    await alice2.login(alice.user.username, alice.password);
    await Promise.all([bob, carol].map((c) => c.socket.connect()));
    roomId = (await bob.rooms.create({ name: 'presence', kind: 'public' })).id;
    await alice.rooms.join(roomId);
  });
  after(async () => {
    for (const c of [alice, alice2, bob, carol]) c?.socket.disconnect();
    await server?.close();
  });

  it('a user with two devices is online while either is active, away when both are idle, offline when both leave', async () => {
    const toBob = collect(bob, 'presence.updated');
    const toCarol = collect(carol, 'presence.updated');
    const mine = () => toBob.filter((e) => e.userId === alice.user.id).map((e) => e.status);
    const status = async () =>
      (await bob.socket.request('presence:query', { userIds: [alice.user.id] }))[alice.user.id];

    assert.equal(await status(), 'offline');
    await alice.socket.connect();
    await waitFor(() => mine().length === 1, 5000, 'online');
    await alice2.socket.connect();
    assert.equal(await status(), 'online');

    await alice.socket.request('presence:set', { status: 'away' });
    assert.equal(await status(), 'online', 'the other device is still active');
    const away = await alice2.socket.request('presence:set', { status: 'away' });
    assert.deepEqual(away, { userId: alice.user.id, status: 'away' });
    await waitFor(() => mine().length === 2, 5000, 'away');

    await alice2.socket.request('presence:set', { status: 'online' });
    await waitFor(() => mine().length === 3, 5000, 'online again');
    alice2.socket.disconnect();
    await waitFor(async () => (await status()) === 'away', 5000, 'the remaining device is idle');
    alice.socket.disconnect();
    await waitFor(() => mine().length === 5, 5000, 'offline');
    assert.deepEqual(mine(), ['online', 'away', 'online', 'away', 'offline']);
    await settle(bob, roomId, [bob]);
    assert.equal(
      toCarol.filter((e) => e.userId === alice.user.id).length,
      0,
      'no one outside her rooms hears',
    );
    await rejectsWith(bob.socket.request('presence:set', { status: 'busy' as 'away' }), {
      code: 'validation_failed',
      field: 'status',
    });
  });

  it('typing reaches the room, is throttled, ends with a message and expires by itself', async () => {
    await alice.socket.connect();
    const typing = collect(bob, 'typing.updated');
    const toCarol = collect(carol, 'typing.updated');
    await alice.socket.request('typing:start', { roomId });
    await alice.socket.request('typing:start', { roomId });
    await waitFor(() => typing.length === 1, 5000, 'typing started');
    assert.deepEqual(typing[0], {
      roomId,
      userId: alice.user.id,
      username: alice.user.username,
      typing: true,
      ttlMs: 5000,
    });
    assert.deepEqual(await bob.socket.request('typing:list', { roomId }), [alice.user.id]);

    const ended = nextEvent(bob, 'typing.updated', (e) => !e.typing);
    await alice.socket.send(roomId, 'done typing');
    assert.equal((await ended).userId, alice.user.id, 'sending ends the indicator');
    assert.deepEqual(await bob.socket.request('typing:list', { roomId }), []);

    await alice.socket.request('typing:start', { roomId });
    assert.deepEqual(await bob.socket.request('typing:list', { roomId }), [alice.user.id]);
    await waitFor(
      async () => (await bob.socket.request('typing:list', { roomId })).length === 0,
      9000,
      'typing to expire',
    );
    assert.equal(toCarol.length, 0, 'a non-member hears no typing');
    await rejectsWith(carol.socket.request('typing:start', { roomId }), { code: 'forbidden' });
  });
});
