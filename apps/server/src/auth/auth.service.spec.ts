import { EventEmitter2 } from '@nestjs/event-emitter';
import { JwtService } from '@nestjs/jwt';
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { InProcessClusterBus } from '../cluster/cluster-bus';
import { RateLimiterFactory } from '../cluster/rate-limiter.factory';
import { ConflictError, ForbiddenError, RateLimitedError, UnauthorizedError } from '../common/domain-error';
import { DomainEvents } from '../common/domain-events';
import { AppConfig } from '../config/app-config';
import { AuthStateVersionRepository } from '../users/auth-state-version.repository';
import { UserRecord } from '../users/user.entity';
import { NewUser, UsersRepository } from '../users/users.repository';
import { AuthRevokedNotice } from './auth.events';
import { AuthService, LOGIN_LIMITS } from './auth.service';
import { PasswordHasher } from './password-hasher';
import { RefreshTokenRecord, SessionRecord, SessionsRepository } from './sessions.repository';

/** The auth state version as the real repositories keep it: bumped after each auth-relevant write. */
class FakeAuthState {
  version = 0;
  reads = 0;
  async read(): Promise<number> {
    this.reads += 1;
    return this.version;
  }
  async bump(): Promise<void> {
    this.version += 1;
  }
}

class FakeUsersRepository {
  readonly rows = new Map<string, UserRecord>();
  private next = 1;

  constructor(private readonly authState: FakeAuthState) {}

  async create(user: NewUser): Promise<UserRecord> {
    if ([...this.rows.values()].some((u) => u.username.toLowerCase() === user.username.toLowerCase())) {
      throw new ConflictError('username is taken', 'username');
    }
    const now = new Date();
    const record: UserRecord = {
      ...user,
      id: String(this.next++).padStart(24, '0'),
      bannedAt: null,
      bannedReason: null,
      createdAt: now,
      updatedAt: now,
    };
    this.rows.set(record.id, record);
    return { ...record };
  }
  async count(): Promise<number> {
    return this.rows.size;
  }
  async findFirst(): Promise<UserRecord | null> {
    const first = [...this.rows.values()][0];
    return first ? { ...first } : null;
  }
  async findById(id: string): Promise<UserRecord | null> {
    const row = this.rows.get(id);
    return row ? { ...row } : null;
  }
  async findRecordsById(ids: readonly string[]): Promise<Map<string, UserRecord>> {
    return new Map(ids.filter((id) => this.rows.has(id)).map((id) => [id, { ...this.rows.get(id)! }]));
  }
  async findByUsername(username: string): Promise<UserRecord | null> {
    const row = [...this.rows.values()].find((u) => u.username.toLowerCase() === username.toLowerCase());
    return row ? { ...row } : null;
  }
  async update(id: string, changes: Partial<UserRecord>): Promise<UserRecord | null> {
    const row = this.rows.get(id);
    if (!row) return null;
    Object.assign(row, changes, { updatedAt: new Date() });
    if (changes.role !== undefined || changes.bannedAt !== undefined || changes.passwordHash !== undefined) {
      await this.authState.bump();
    }
    return { ...row };
  }
}

class FakeSessionsRepository {
  readonly sessions = new Map<string, SessionRecord>();
  readonly tokens = new Map<string, RefreshTokenRecord>();
  sessionReads = 0;

  constructor(private readonly authState: FakeAuthState) {}

  async createSession(s: { id: string; userId: string; createdAt: Date; expiresAt: Date }): Promise<void> {
    this.sessions.set(s.id, { ...s, revokedAt: null, revokedReason: null });
  }
  async findSessions(ids: readonly string[]): Promise<Map<string, SessionRecord>> {
    this.sessionReads += 1;
    return new Map(
      ids.filter((id) => this.sessions.has(id)).map((id) => [id, { ...this.sessions.get(id)! }]),
    );
  }
  async findSession(id: string): Promise<SessionRecord | null> {
    this.sessionReads += 1;
    const s = this.sessions.get(id);
    return s ? { ...s } : null;
  }
  async revokeSession(id: string, reason: string, at: Date): Promise<boolean> {
    const s = this.sessions.get(id);
    if (!s || s.revokedAt) return false;
    Object.assign(s, { revokedAt: at, revokedReason: reason });
    await this.authState.bump();
    return true;
  }
  async revokeUserSessions(userId: string, reason: string, at: Date): Promise<number> {
    let n = 0;
    for (const s of this.sessions.values()) {
      if (s.userId === userId && !s.revokedAt) {
        Object.assign(s, { revokedAt: at, revokedReason: reason });
        n++;
      }
    }
    if (n > 0) await this.authState.bump();
    return n;
  }
  async insertRefreshToken(t: RefreshTokenRecord): Promise<void> {
    this.tokens.set(t.hash, { ...t });
  }
  async findRefreshToken(hash: string): Promise<RefreshTokenRecord | null> {
    const t = this.tokens.get(hash);
    return t ? { ...t } : null;
  }
  async markRefreshTokenUsed(hash: string, at: Date): Promise<boolean> {
    const t = this.tokens.get(hash);
    if (!t || t.usedAt) return false;
    t.usedAt = at;
    return true;
  }
}

describe('AuthService', () => {
  let authState: FakeAuthState;
  let users: FakeUsersRepository;
  let sessions: FakeSessionsRepository;
  let revoked: AuthRevokedNotice[];
  let events: DomainEvents;
  let config: AppConfig;
  let auth: AuthService;
  let bus: InProcessClusterBus;

  beforeEach(() => {
    authState = new FakeAuthState();
    users = new FakeUsersRepository(authState);
    sessions = new FakeSessionsRepository(authState);
    config = Object.assign(new AppConfig(), { TOKEN_SECRET: 'x'.repeat(40) });
    bus = new InProcessClusterBus();
    revoked = [];
    bus.subscribe('auth.revoked', (notice) => revoked.push(notice));
    events = new DomainEvents(new EventEmitter2());
    auth = new AuthService(
      users as unknown as UsersRepository,
      sessions as unknown as SessionsRepository,
      authState as unknown as AuthStateVersionRepository,
      new PasswordHasher({ N: 1024, r: 8, p: 1 }),
      new JwtService({ secret: config.TOKEN_SECRET }),
      config,
      bus,
      events,
      new RateLimiterFactory(),
    );
    auth.onModuleInit();
  });

  it('makes the first account of an empty install admin and later ones members', async () => {
    const first = await auth.register({ username: 'first', password: 'password1' });
    const second = await auth.register({ username: 'second', password: 'password2' });
    assert.equal(first.user.role, 'admin');
    assert.equal(second.user.role, 'member');
  });

  it('keeps admin only for the earliest of registrations racing on an empty install', async () => {
    const [a, b] = await Promise.all([
      auth.register({ username: 'racer1', password: 'password1' }),
      auth.register({ username: 'racer2', password: 'password2' }),
    ]);
    assert.deepEqual([a.user.role, b.user.role].sort(), ['admin', 'member']);
    assert.equal([...users.rows.values()].filter((u) => u.role === 'admin').length, 1);
  });

  it('refuses open registration when closed but lets an admin create accounts', async () => {
    const admin = await auth.register({ username: 'admin', password: 'password1' });
    config.REGISTRATION_OPEN = false;
    await assert.rejects(auth.register({ username: 'someone', password: 'password1' }), ForbiddenError);
    const actor = await auth.authenticate(admin.accessToken);
    const created = await auth.createUser({ username: 'someone', password: 'password1' }, actor);
    assert.equal(created.role, 'member');
  });

  it('rejects a taken username regardless of case', async () => {
    await auth.register({ username: 'Ada', password: 'password1' });
    await assert.rejects(auth.register({ username: 'ada', password: 'password1' }), ConflictError);
  });

  it('authenticates an access token to the user and its session', async () => {
    const tokens = await auth.register({ username: 'ada', password: 'password1' });
    const user = await auth.authenticate(tokens.accessToken);
    assert.equal(user.username, 'ada');
    assert.equal(user.id, tokens.user.id);
    assert.ok(sessions.sessions.has(user.sessionId));
    await assert.rejects(auth.authenticate(`${tokens.accessToken}x`), UnauthorizedError);
    await assert.rejects(auth.authenticate('not-a-jwt'), UnauthorizedError);
  });

  it('checks a session it has checked before without reading it again while the auth state is unchanged', async () => {
    const tokens = await auth.register({ username: 'ada', password: 'password1' });
    const first = await auth.authenticate(tokens.accessToken);
    const readsAfterFirst = sessions.sessionReads;
    const again = await Promise.all([
      auth.authenticate(tokens.accessToken),
      auth.authenticate(tokens.accessToken),
    ]);
    assert.equal(sessions.sessionReads, readsAfterFirst);
    assert.equal(again[0], first, 'the same AuthUser object is handed out (shared by the session’s sockets)');
    assert.ok(authState.reads >= 2, 'the version is read for every check');
  });

  it('sees a role change made on another node at the next check (the version moved, no notice needed)', async () => {
    await auth.register({ username: 'first', password: 'password1' });
    const tokens = await auth.register({ username: 'ada', password: 'password1' });
    assert.equal((await auth.authenticate(tokens.accessToken)).role, 'member');
    // Another node's repository: the same write and version bump, and nothing reaches this node's bus.
    users.rows.get(tokens.user.id)!.role = 'moderator';
    await authState.bump();
    assert.equal((await auth.authenticate(tokens.accessToken)).role, 'moderator');
  });

  it('refuses a cached session at the next check once another node revoked it or banned its account', async () => {
    const a = await auth.register({ username: 'ada', password: 'password1' });
    const b = await auth.register({ username: 'bob', password: 'password1' });
    await auth.authenticate(a.accessToken);
    await auth.authenticate(b.accessToken);
    const sessionA = sessions.sessions.get((await auth.authenticate(a.accessToken)).sessionId)!;
    sessionA.revokedAt = new Date();
    await authState.bump();
    await assert.rejects(auth.authenticate(a.accessToken), UnauthorizedError);
    users.rows.get(b.user.id)!.bannedAt = new Date();
    await authState.bump();
    await assert.rejects(auth.authenticate(b.accessToken), UnauthorizedError);
  });

  it('refuses a session past its end even when it is cached', async () => {
    const tokens = await auth.register({ username: 'ada', password: 'password1' });
    const sessionId = tokens.refreshToken.split('.')[0]!;
    sessions.sessions.get(sessionId)!.expiresAt = new Date(Date.now() + 40);
    await auth.authenticate(tokens.accessToken);
    await new Promise((resolve) => setTimeout(resolve, 60));
    await assert.rejects(auth.authenticate(tokens.accessToken), UnauthorizedError);
  });

  it('re-authenticates a socket’s user: the new role after a change, UnauthorizedError once the session ended', async () => {
    await auth.register({ username: 'first', password: 'password1' });
    const tokens = await auth.register({ username: 'ada', password: 'password1' });
    const user = await auth.authenticate(tokens.accessToken);
    assert.equal(await auth.reauthenticate(user), user);
    await users.update(user.id, { role: 'moderator' });
    const promoted = await auth.reauthenticate(user);
    assert.equal(promoted.role, 'moderator');
    await auth.logout(promoted);
    await assert.rejects(auth.reauthenticate(promoted), UnauthorizedError);
  });

  it('tells every node when an account’s role changed', async () => {
    const changed: string[] = [];
    bus.subscribe('auth.role-changed', (notice) => changed.push(notice.userId));
    await events.emitAsync('user.role.changed', { userId: 'u1', role: 'moderator', by: 'admin' });
    assert.deepEqual(changed, ['u1']);
  });

  it('rotates the refresh token: each works once and the new pair stays in the same session', async () => {
    const first = await auth.register({ username: 'ada', password: 'password1' });
    const second = await auth.refresh(first.refreshToken);
    assert.notEqual(second.refreshToken, first.refreshToken);
    const a = await auth.authenticate(first.accessToken);
    const b = await auth.authenticate(second.accessToken);
    assert.equal(a.sessionId, b.sessionId);
    const third = await auth.refresh(second.refreshToken);
    assert.ok(third.accessToken);
    assert.equal(revoked.length, 0);
  });

  it('revokes the whole family when a rotated refresh token is presented again', async () => {
    const first = await auth.register({ username: 'ada', password: 'password1' });
    const other = await auth.login((await users.findByUsername('ada'))!);
    const second = await auth.refresh(first.refreshToken);

    await assert.rejects(auth.refresh(first.refreshToken), UnauthorizedError);
    await assert.rejects(auth.refresh(second.refreshToken), UnauthorizedError);
    await assert.rejects(auth.authenticate(second.accessToken), UnauthorizedError);
    const sessionId = first.refreshToken.split('.')[0];
    assert.deepEqual(revoked, [{ userId: first.user.id, sessionId, reason: 'refresh_reuse' }]);
    // Another login of the same account is a different family and keeps working.
    assert.equal((await auth.authenticate(other.accessToken)).username, 'ada');
  });

  it('rejects an unknown refresh token without revoking anything', async () => {
    const tokens = await auth.register({ username: 'ada', password: 'password1' });
    await assert.rejects(auth.refresh(`${tokens.refreshToken.split('.')[0]}.forged`), UnauthorizedError);
    assert.ok(await auth.authenticate(tokens.accessToken));
    assert.equal(revoked.length, 0);
  });

  it('ends the session at logout: its access and refresh tokens stop working and sockets are told', async () => {
    const tokens = await auth.register({ username: 'ada', password: 'password1' });
    const user = await auth.authenticate(tokens.accessToken);
    await auth.logout(user);
    await assert.rejects(auth.authenticate(tokens.accessToken), UnauthorizedError);
    await assert.rejects(auth.refresh(tokens.refreshToken), UnauthorizedError);
    assert.deepEqual(revoked, [{ userId: user.id, sessionId: user.sessionId, reason: 'logout' }]);
  });

  it('changing the password ends every session and starts a new one', async () => {
    const a = await auth.register({ username: 'ada', password: 'password1' });
    const b = await auth.login((await users.findByUsername('ada'))!);
    const fresh = await auth.changePassword(await auth.authenticate(a.accessToken), 'password1', 'password2');
    await assert.rejects(auth.authenticate(a.accessToken), UnauthorizedError);
    await assert.rejects(auth.authenticate(b.accessToken), UnauthorizedError);
    assert.equal((await auth.authenticate(fresh.accessToken)).username, 'ada');
    assert.deepEqual(revoked, [{ userId: a.user.id, reason: 'password_changed' }]);
    await assert.rejects(auth.verifyCredentials('ada', 'password1', '10.0.0.1'), UnauthorizedError);
    assert.equal((await auth.verifyCredentials('ada', 'password2', '10.0.0.1')).username, 'ada');
  });

  it('a banned account loses its sessions at once and cannot log in', async () => {
    const tokens = await auth.register({ username: 'ada', password: 'password1' });
    await users.update(tokens.user.id, { bannedAt: new Date() });
    await events.emitAsync('user.banned', { userId: tokens.user.id, by: 'admin' });
    await assert.rejects(auth.authenticate(tokens.accessToken), UnauthorizedError);
    assert.deepEqual(revoked, [{ userId: tokens.user.id, reason: 'banned' }]);
    await assert.rejects(auth.verifyCredentials('ada', 'password1', '10.0.0.1'), ForbiddenError);
  });

  it('throttles an account after repeated failed logins, even with the right password', async () => {
    await auth.register({ username: 'ada', password: 'password1' });
    for (let i = 0; i < LOGIN_LIMITS.account.points; i++) {
      await assert.rejects(auth.verifyCredentials('ada', 'wrong-password', `10.0.0.${i}`), UnauthorizedError);
    }
    await assert.rejects(auth.verifyCredentials('ADA', 'password1', '10.0.1.1'), (err: unknown) => {
      assert.ok(err instanceof RateLimitedError);
      assert.ok(err.retryAfterMs > 0);
      return true;
    });
  });

  it('throttles a client address that fails across many accounts', async () => {
    for (let i = 0; i < LOGIN_LIMITS.ip.points; i++) {
      await assert.rejects(auth.verifyCredentials(`nobody${i}`, 'password1', '10.9.9.9'), UnauthorizedError);
    }
    await assert.rejects(auth.verifyCredentials('nobody', 'password1', '10.9.9.9'), RateLimitedError);
    await assert.rejects(auth.verifyCredentials('nobody', 'password1', '10.9.9.10'), UnauthorizedError);
  });

  it('seeds the configured admin once and promotes an existing account of that name', async () => {
    await auth.register({ username: 'boss', password: 'password1' });
    await auth.register({ username: 'member', password: 'password1' });
    await auth.seedAdmin('member', 'ignored-password');
    assert.equal((await users.findByUsername('member'))!.role, 'admin');
    await auth.seedAdmin('root', 'root-password');
    assert.equal((await auth.verifyCredentials('root', 'root-password', '10.0.0.1')).role, 'admin');
  });
});
