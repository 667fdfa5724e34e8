import { PalaverApiError, PalaverClient } from '@palaver/client';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AuthRevokedNotice } from '../src/auth/auth.events';
import { LOGIN_LIMITS } from '../src/auth/auth.service';
import { ClusterBus } from '../src/cluster/cluster-bus';
import { registerUser, startTestServer, TestServer, TestUserClient } from './utils';

/** Asserts that `promise` fails with a PalaverApiError of this status/code (and field, when given). */
async function rejectsWith(
  promise: Promise<unknown>,
  expected: { status: number; code: string; field?: string },
): Promise<PalaverApiError> {
  let caught: unknown;
  await promise.then(
    () => assert.fail(`expected ${expected.status} ${expected.code}`),
    (err: unknown) => (caught = err),
  );
  assert.ok(caught instanceof PalaverApiError, `expected PalaverApiError, got ${String(caught)}`);
  assert.equal(caught.status, expected.status, caught.message);
  assert.equal(caught.code, expected.code, caught.message);
  if (expected.field !== undefined) assert.equal(caught.field, expected.field, caught.message);
  return caught;
}

async function postJson(
  server: TestServer,
  path: string,
  body: string,
  headers: Record<string, string> = {},
) {
  const res = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

describe('accounts and auth over HTTP (open registration)', () => {
  let server: TestServer;
  const revoked: AuthRevokedNotice[] = [];

  /** The first account of this install (so an admin). */
  let founder: TestUserClient;

  before(async () => {
    server = await startTestServer();
    server.app.get(ClusterBus).subscribe('auth.revoked', (notice) => revoked.push(notice));
    founder = await registerUser(server, 'founder');
  });
  after(async () => {
    await server?.close();
  });

  it('makes the first account of an empty install admin and the next ones members', async () => {
    const second = await registerUser(server, 'second');
    assert.equal(founder.user.role, 'admin');
    assert.equal(second.user.role, 'member');
    assert.equal((await second.me()).username, 'second');
  });

  it('rejects bad registrations with 400 naming the field', async () => {
    const client = new PalaverClient(server.url);
    await rejectsWith(client.register('ab', 'long-enough-password'), {
      status: 400,
      code: 'validation_failed',
      field: 'username',
    });
    await rejectsWith(client.register('has space', 'long-enough-password'), {
      status: 400,
      code: 'validation_failed',
      field: 'username',
    });
    await rejectsWith(client.register('validname', 'short'), {
      status: 400,
      code: 'validation_failed',
      field: 'password',
    });
    const extra = await postJson(
      server,
      '/api/auth/register',
      JSON.stringify({ username: 'validname', password: 'long-enough-password', role: 'admin' }),
    );
    assert.equal(extra.status, 400);
    assert.deepEqual((extra.body.error as { field: string }).field, 'role');
    const notJson = await postJson(server, '/api/auth/register', '{"username": ');
    assert.equal(notJson.status, 400);
    assert.equal((notJson.body.error as { code: string }).code, 'validation_failed');
  });

  it('refuses a username that differs only in case with 409', async () => {
    await registerUser(server, 'CaseUser');
    await rejectsWith(new PalaverClient(server.url).register('caseuser', 'long-enough-password'), {
      status: 409,
      code: 'conflict',
      field: 'username',
    });
  });

  it('logs in with the right password only, and validates the login body', async () => {
    const user = await registerUser(server);
    const client = new PalaverClient(server.url);
    await rejectsWith(client.login(user.user.username, 'wrong-password'), {
      status: 401,
      code: 'unauthorized',
    });
    const res = await postJson(server, '/api/auth/login', JSON.stringify({ username: user.user.username }));
    assert.equal(res.status, 400);
    assert.equal((res.body.error as { field: string }).field, 'password');
    const ok = await client.login(user.user.username.toUpperCase(), user.password);
    assert.equal(ok.user.id, user.user.id);
    assert.equal((await client.me()).id, user.user.id);
  });

  it('rotates refresh tokens and revokes the family when a used one comes back', async () => {
    const user = await registerUser(server);
    const stolen = user.http.currentTokens!;
    const rotated = await user.refresh();
    assert.notEqual(rotated.refreshToken, stolen.refreshToken);
    assert.equal((await user.me()).id, user.user.id);

    const attacker = new PalaverClient(server.url);
    attacker.useTokens(stolen);
    await rejectsWith(attacker.refresh(), { status: 401, code: 'unauthorized' });
    // The legitimate holder's newer tokens died with the family.
    await rejectsWith(user.me(), { status: 401, code: 'unauthorized' });
    assert.equal(user.accessToken, null, 'a failed refresh clears the tokens');
    const sessionId = stolen.refreshToken.split('.')[0];
    assert.ok(revoked.some((n) => n.sessionId === sessionId && n.reason === 'refresh_reuse'));
  });

  it('refreshes once by itself when the access token is rejected', async () => {
    const user = await registerUser(server);
    const tokens = user.http.currentTokens!;
    user.useTokens({ ...tokens, accessToken: `${tokens.accessToken.slice(0, -4)}AAAA` });
    assert.equal((await user.me()).id, user.user.id);
    assert.notEqual(user.http.currentTokens!.refreshToken, tokens.refreshToken);
  });

  it('logout ends the session: its access and refresh tokens stop working at once', async () => {
    const user = await registerUser(server);
    const other = new PalaverClient(server.url);
    await other.login(user.user.username, user.password);
    const tokens = user.http.currentTokens!;
    const userId = user.user.id;
    await user.logout();
    const dead = new PalaverClient(server.url);
    dead.useTokens(tokens);
    await rejectsWith(dead.me(), { status: 401, code: 'unauthorized' });
    assert.ok(revoked.some((n) => n.userId === userId && n.reason === 'logout' && n.sessionId));
    assert.equal((await other.me()).id, userId, 'other sessions of the account live on');
    await rejectsWith(dead.refresh(), { status: 401, code: 'unauthorized' });
  });

  it('changing the password ends every other session and needs the current password', async () => {
    const user = await registerUser(server);
    const elsewhere = new PalaverClient(server.url);
    await elsewhere.login(user.user.username, user.password);
    await rejectsWith(user.changePassword('not-the-password', 'brand-new-password'), {
      status: 400,
      code: 'validation_failed',
      field: 'currentPassword',
    });
    await user.changePassword(user.password, 'brand-new-password');
    assert.equal((await user.me()).id, user.user.id);
    await rejectsWith(elsewhere.me(), { status: 401, code: 'unauthorized' });
    await rejectsWith(new PalaverClient(server.url).login(user.user.username, user.password), {
      status: 401,
      code: 'unauthorized',
    });
    await new PalaverClient(server.url).login(user.user.username, 'brand-new-password');
    assert.ok(revoked.some((n) => n.userId === user.user.id && n.reason === 'password_changed'));
  });

  it('throttles logins to an account after repeated failures with 429 and retryAfterMs', async () => {
    const user = await registerUser(server);
    const client = new PalaverClient(server.url);
    for (let i = 0; i < LOGIN_LIMITS.account.points; i++) {
      await rejectsWith(client.login(user.user.username, 'wrong-password'), {
        status: 401,
        code: 'unauthorized',
      });
    }
    const err = await rejectsWith(client.login(user.user.username, user.password), {
      status: 429,
      code: 'rate_limited',
    });
    assert.ok(err.retryAfterMs !== undefined && err.retryAfterMs > 0);
    const res = await postJson(
      server,
      '/api/auth/login',
      JSON.stringify({ username: user.user.username, password: user.password }),
    );
    assert.ok(Number(res.headers.get('retry-after')) >= 1);
  });

  it('requires a valid bearer token on protected routes', async () => {
    const res = await fetch(`${server.url}/api/users/me`);
    assert.equal(res.status, 401);
    assert.deepEqual(await res.json(), {
      error: { code: 'unauthorized', message: 'missing bearer access token' },
    });
    const bad = await fetch(`${server.url}/api/users/me`, { headers: { authorization: 'Bearer nonsense' } });
    assert.equal(bad.status, 401);
  });

  it('answers unknown routes with the JSON error body', async () => {
    const res = await fetch(`${server.url}/api/no-such-thing`);
    assert.equal(res.status, 404);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'not_found');
  });

  it('lists users by username with a prefix search and cursor paging', async () => {
    const viewer = await registerUser(server);
    for (const name of ['pager_c', 'pager_a', 'pager_b', 'Pager_d']) await registerUser(server, name);
    const first = await viewer.users.list({ q: 'PAGER_', limit: 3 });
    assert.deepEqual(
      first.items.map((u) => u.username),
      ['pager_a', 'pager_b', 'pager_c'],
    );
    assert.ok(first.nextCursor);
    const second = await viewer.users.list({ q: 'pager_', limit: 3, cursor: first.nextCursor! });
    assert.deepEqual(
      second.items.map((u) => u.username),
      ['Pager_d'],
    );
    assert.equal(second.nextCursor, null);
    await rejectsWith(viewer.users.list({ limit: 1000 }), {
      status: 400,
      code: 'validation_failed',
      field: 'limit',
    });
  });

  it('reads profiles by id and username and updates the own display name', async () => {
    const user = await registerUser(server);
    const other = await registerUser(server);
    assert.equal((await other.users.get(user.user.id)).username, user.user.username);
    assert.equal((await other.users.getByUsername(user.user.username.toUpperCase())).id, user.user.id);
    await rejectsWith(other.users.get('0123456789abcdef01234567'), { status: 404, code: 'not_found' });
    await rejectsWith(other.users.get('not-an-id'), { status: 404, code: 'not_found' });
    const updated = await user.users.updateMe({ displayName: 'Ada Lovelace' });
    assert.equal(updated.displayName, 'Ada Lovelace');
    assert.equal((await other.users.get(user.user.id)).displayName, 'Ada Lovelace');
    await rejectsWith(user.users.updateMe({ displayName: 'x'.repeat(65) }), {
      status: 400,
      code: 'validation_failed',
      field: 'displayName',
    });
    const view = (await other.users.get(user.user.id)) as unknown as Record<string, unknown>;
    assert.equal(view.passwordHash, undefined);
  });

  it('lets staff ban and unban members: a ban ends their sessions and blocks login', async () => {
    const staff = await registerUser(server);
    const member = await registerUser(server);
    await rejectsWith(staff.users.ban(member.user.id), { status: 403, code: 'forbidden' });

    await founder.users.setRole(staff.user.id, 'moderator');
    await member.socket.connect();
    const disconnected = new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('socket not disconnected within 5 s')), 5000);
      member.socket.io.once('disconnect', (reason) => {
        clearTimeout(timer);
        resolve(reason);
      });
    });
    const banned = await staff.users.ban(member.user.id, 'spam');
    assert.equal(await disconnected, 'io server disconnect', "the banned member's live socket is closed");
    assert.equal(banned.banned, true);
    assert.ok(revoked.some((n) => n.userId === member.user.id && n.reason === 'banned'));
    await rejectsWith(member.me(), { status: 401, code: 'unauthorized' });
    await rejectsWith(new PalaverClient(server.url).login(member.user.username, member.password), {
      status: 403,
      code: 'forbidden',
    });
    await rejectsWith(staff.users.ban(founder.user.id), { status: 403, code: 'forbidden' });
    await rejectsWith(staff.users.setRole(member.user.id, 'admin'), { status: 403, code: 'forbidden' });

    await staff.users.unban(member.user.id);
    await new PalaverClient(server.url).login(member.user.username, member.password);
  });
});

describe('accounts with registration closed and a seeded admin', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer({
      env: { REGISTRATION_OPEN: 'closed', ADMIN_USERNAME: 'root', ADMIN_PASSWORD: 'root-password-1' },
    });
  });
  after(async () => {
    await server?.close();
  });

  it('refuses self-registration with 403', async () => {
    await rejectsWith(new PalaverClient(server.url).register('newcomer', 'long-enough-password'), {
      status: 403,
      code: 'forbidden',
    });
  });

  it('seeds ADMIN_USERNAME as admin, who can still create accounts that then log in', async () => {
    const root = new PalaverClient(server.url);
    const session = await root.login('root', 'root-password-1');
    assert.equal(session.user.role, 'admin');
    const created = await root.users.create({ username: 'invited', password: 'invited-password' });
    assert.equal(created.role, 'member');
    const invited = new PalaverClient(server.url);
    await invited.login('invited', 'invited-password');
    await rejectsWith(invited.users.create({ username: 'another', password: 'another-password' }), {
      status: 403,
      code: 'forbidden',
    });
  });
});

describe('self-registration throttled per client address', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer({ env: { REGISTRATIONS_PER_IP_PER_HOUR: '2' } });
  });
  after(async () => {
    await server?.close();
  });

  it('answers 429 with Retry-After past the limit, while admins still create accounts', async () => {
    const founder = await registerUser(server, 'limit_founder');
    await registerUser(server, 'limit_second');
    const third = await postJson(
      server,
      '/api/auth/register',
      JSON.stringify({ username: 'limit_third', password: 'long-enough-password' }),
    );
    assert.equal(third.status, 429);
    assert.ok(Number(third.headers.get('retry-after')) > 0, 'Retry-After names the wait');
    const error = third.body.error as { code: string; message: string };
    assert.equal(error.code, 'rate_limited');
    assert.match(error.message, /registrations/);

    const created = await founder.users.create({ username: 'limit_invited', password: 'invited-password' });
    assert.equal(created.username, 'limit_invited');
    await rejectsWith(new PalaverClient(server.url).login('limit_third', 'long-enough-password'), {
      status: 401,
      code: 'unauthorized',
    });
  });
});
