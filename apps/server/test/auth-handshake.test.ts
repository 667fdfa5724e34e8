import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RoomsRepository } from '../src/rooms/rooms.repository';
import { rejectsWith } from './realtime-helpers';
import { registerUser, startTestServer, TestServer, TestUserClient, waitFor } from './utils';

/**
 * Holds the next socket handshake between its authentication and its connection (at the room lookup that
 * follows the check), until released: the window in which an auth notice finds no connected socket.
 */
function holdNextHandshake(): { checked: Promise<void>; release: () => void } {
  // On the prototype: the gateway's RoomsRepository need not be the instance app.get() finds.
  const proto = RoomsRepository.prototype;
  const lookUp = proto.membershipsOfUsers;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let reached!: () => void;
  const checked = new Promise<void>((resolve, reject) => {
    reached = resolve;
    setTimeout(
      () => reject(new Error('the handshake did not reach its room lookup within 10 s')),
      10_000,
    ).unref();
  });
  proto.membershipsOfUsers = async function (this: RoomsRepository, userIds: readonly string[]) {
    proto.membershipsOfUsers = lookUp;
    reached();
    await gate;
    return lookUp.call(this, userIds);
  };
  return { checked, release };
}

/** Resolves with the reason of the next server-side disconnect (bounded). */
function nextDisconnect(client: TestUserClient, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not disconnected within ${timeoutMs} ms`)), timeoutMs);
    client.socket.io.once('disconnect', (reason) => {
      clearTimeout(timer);
      resolve(reason);
    });
  });
}

describe('socket handshakes in flight when an auth change is announced', () => {
  let server: TestServer;
  let founder: TestUserClient;
  const clients: TestUserClient[] = [];
  const user = async () => {
    const client = await registerUser(server);
    clients.push(client);
    return client;
  };

  before(async () => {
    server = await startTestServer();
    founder = await user(); // the first account: admin
  });
  after(async () => {
    for (const client of clients) client.socket.disconnect();
    await server?.close();
  });

  it('a socket whose session is logged out between its check and its connection is disconnected once connected', async () => {
    const member = await user();
    const hold = holdNextHandshake();
    const connecting = member.socket.connect();
    await hold.checked;
    // The logout goes out as a notice now, while the socket is not yet among the connected ones.
    const res = await fetch(`${server.url}/api/auth/logout`, {
      method: 'POST',
      headers: { authorization: `Bearer ${member.accessToken}` },
    });
    assert.equal(res.status, 204);
    const ended: string[] = [];
    member.socket.on('session.ended', (event) => ended.push(event.reason));
    const disconnected = nextDisconnect(member);
    hold.release();
    await connecting;
    assert.equal(await disconnected, 'io server disconnect');
    assert.equal(ended.length, 1);
  });

  it('a socket whose account is banned between its check and its connection is disconnected once connected', async () => {
    const member = await user();
    const hold = holdNextHandshake();
    const connecting = member.socket.connect();
    await hold.checked;
    await founder.users.ban(member.user.id, 'spam');
    const disconnected = nextDisconnect(member);
    hold.release();
    await connecting;
    assert.equal(await disconnected, 'io server disconnect');
  });

  it('a socket whose account is demoted between its check and its connection acts with the new role', async () => {
    const room = await founder.rooms.create({ name: 'staff', kind: 'private' });
    const deputy = await user();
    await founder.users.setRole(deputy.user.id, 'admin');
    const hold = holdNextHandshake();
    const connecting = deputy.socket.connect();
    await hold.checked;
    await founder.users.setRole(deputy.user.id, 'member');
    hold.release();
    await connecting;
    await waitFor(
      async () => {
        try {
          await deputy.socket.history({ roomId: room.id, limit: 10 });
          return false;
        } catch {
          return true;
        }
      },
      5000,
      'the demotion to apply to the new socket',
    );
    await rejectsWith(deputy.socket.history({ roomId: room.id, limit: 10 }), { code: 'not_found' });
    assert.ok(deputy.socket.connected, 'a role change does not end the session');
    deputy.socket.disconnect();
  });

  it('an open socket of a promoted member gains the role without reconnecting', async () => {
    const room = await founder.rooms.create({ name: 'staff2', kind: 'private' });
    const member = await user();
    await member.socket.connect();
    await rejectsWith(member.socket.history({ roomId: room.id, limit: 10 }), { code: 'not_found' });
    await founder.users.setRole(member.user.id, 'admin');
    await waitFor(
      async () =>
        member.socket.history({ roomId: room.id, limit: 10 }).then(
          () => true,
          () => false,
        ),
      5000,
      'the promotion to reach the open socket',
    );
    member.socket.disconnect();
  });
});
