import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PalaverClient } from '@palaver/client';
import { io } from 'socket.io-client';
import { startCluster, TestCluster } from './support/cluster';
import { AckError, ClusterMember } from './support/cluster-member';
import { waitFor } from './support/ports';

/** The HTTP status of an authenticated GET (no client-side token refresh in the way). */
async function statusOf(nodeUrl: string, path: string, accessToken: string): Promise<number> {
  const res = await fetch(`${nodeUrl}/api${path}`, {
    headers: { authorization: `Bearer ${accessToken}` },
    signal: AbortSignal.timeout(10_000),
  });
  await res.arrayBuffer();
  return res.status;
}

/** Opens a socket with this token; resolves with the handshake's error code, or 'connected'. */
async function handshake(nodeUrl: string, accessToken: string): Promise<string> {
  const socket = io(nodeUrl, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    auth: { token: accessToken },
  });
  try {
    return await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no handshake outcome within 10 s')), 10_000);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve('connected');
      });
      socket.once('connect_error', (err: Error & { data?: { code?: string } }) => {
        clearTimeout(timer);
        resolve(err.data?.code ?? err.message);
      });
    });
  } finally {
    socket.disconnect();
  }
}

/**
 * Each node caches the sessions it has authenticated. These nodes share the docstore but no Redis, so
 * no notice travels between them: what makes node B refuse at once is the auth state version, bumped by
 * every revocation, ban and role change and read by every check.
 */
describe('auth changes made on node A apply to node B’s next check, with no cluster bus between them', () => {
  let cluster: TestCluster;
  let founder: PalaverClient;
  let a: string;
  let b: string;

  before(async () => {
    cluster = await startCluster({ nodes: 2, redis: false });
    [a, b] = cluster.nodes.map((node) => node.url) as [string, string];
    founder = new PalaverClient(a);
    await founder.register('founder', 'cluster test password'); // the first account: admin
  });

  after(async () => {
    await cluster?.close();
  });

  it('a session logged out on node A is refused by node B (which had it cached) over HTTP and at the handshake', async () => {
    const member = await ClusterMember.register(a, 'leaver');
    const token = member.client.accessToken!;
    assert.equal(await statusOf(b, '/users/me', token), 200);
    assert.equal(await handshake(b, token), 'connected');
    await member.client.logout();
    assert.equal(await statusOf(b, '/users/me', token), 401);
    assert.equal(await handshake(b, token), 'unauthorized');
  });

  it('an account banned on node A is refused by node B at once', async () => {
    const member = await ClusterMember.register(a, 'spammer');
    const token = member.client.accessToken!;
    assert.equal(await statusOf(b, '/users/me', token), 200);
    await founder.users.ban(member.userId, 'spam');
    assert.equal(await statusOf(b, '/users/me', token), 401);
    assert.equal(await handshake(b, token), 'unauthorized');
  });

  it('an admin demoted on node A has no admin rights on node B from the next request on', async () => {
    const deputy = await ClusterMember.register(a, 'deputy');
    await founder.users.setRole(deputy.userId, 'admin');
    const token = deputy.client.accessToken!;
    assert.equal(await statusOf(b, '/admin/plugins', token), 200);
    await founder.users.setRole(deputy.userId, 'member');
    assert.equal(await statusOf(b, '/admin/plugins', token), 403);
  });

  it('a refresh token replayed on node A ends its session on node B at once', async () => {
    const client = new PalaverClient(a);
    const issued = await client.register('replayed', 'cluster test password');
    assert.equal(await statusOf(b, '/users/me', issued.accessToken), 200);
    const refresh = (body: unknown) =>
      fetch(`${a}/api/auth/refresh`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    assert.equal((await refresh({ refreshToken: issued.refreshToken })).status, 200);
    assert.equal((await refresh({ refreshToken: issued.refreshToken })).status, 401);
    assert.equal(await statusOf(b, '/users/me', issued.accessToken), 401);
  });
});

describe('live sockets on node B follow a role change made on node A (through Redis)', () => {
  let cluster: TestCluster;
  let founder: PalaverClient;
  let deputy: ClusterMember;

  before(async () => {
    cluster = await startCluster({ nodes: 2 });
    founder = new PalaverClient(cluster.nodes[0]!.url);
    await founder.register('founder', 'cluster test password');
    deputy = await ClusterMember.register(cluster.nodes[0]!.url, 'deputy');
  });

  after(async () => {
    deputy?.close();
    await cluster?.close();
  });

  it('a demoted admin’s open socket loses admin rights without reconnecting', async () => {
    const room = await founder.rooms.create({ name: 'staff only', kind: 'private' });
    await founder.users.setRole(deputy.userId, 'admin');
    await deputy.connect(cluster.nodes[1]!.url);
    // Admins read every room; the deputy is not a member of this one.
    await deputy.call('message:history', { roomId: room.id, limit: 10 });
    await founder.users.setRole(deputy.userId, 'member');
    let code = '';
    await waitFor(
      'the socket on node B to act as a member',
      async () => {
        try {
          await deputy.call('message:history', { roomId: room.id, limit: 10 });
          return false;
        } catch (err) {
          if (!(err instanceof AckError)) throw err;
          code = err.code;
          return true;
        }
      },
      10_000,
    );
    assert.equal(code, 'not_found');
    assert.ok(deputy.connected, 'a role change does not end the session');
  });
});
