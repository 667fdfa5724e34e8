import { Injectable, Logger, OnModuleDestroy, OnModuleInit, Optional } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { ClusterBus } from '../cluster/cluster-bus';
import { InFlightBatcher } from '../common/in-flight-batcher';
import { RateLimiter, RateLimiterFactory } from '../cluster/rate-limiter.factory';
import {
  ConflictError,
  ForbiddenError,
  RateLimitedError,
  UnauthorizedError,
  ValidationFailedError,
} from '../common/domain-error';
import { DomainEvents } from '../common/domain-events';
import { AppConfig } from '../config/app-config';
import { toUserView, UserRecord, UserView } from '../users/user.entity';
import { AuthStateVersionRepository } from '../users/auth-state-version.repository';
import { UsersRepository } from '../users/users.repository';
import { AuthUser, Role } from './auth-user';
import { AuthenticatedSessionCache } from './authenticated-session.cache';
import { AuthRevokedNotice } from './auth.events';
import { PasswordHasher } from './password-hasher';
import { SessionRecord, SessionsRepository } from './sessions.repository';
import { SharedFreshRead } from './shared-fresh-read';
import { HookRunner } from '../plugins/hook-runner';
import { toPluginUser } from '../plugins/hook-payloads';

/** What register, login, refresh and change-password return. */
export interface AuthTokens {
  user: UserView;
  accessToken: string;
  accessTokenExpiresAt: string;
  refreshToken: string;
  refreshTokenExpiresAt: string;
}

interface AccessClaims {
  sub: string;
  sid: string;
  usr: string;
}

/** Failed logins allowed per account and per client address before 429 (see docs/auth.md). */
export const LOGIN_LIMITS = {
  account: { points: 10, durationSeconds: 15 * 60 },
  ip: { points: 50, durationSeconds: 15 * 60 },
} as const;

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

/**
 * Accounts' credentials, sessions and tokens. `authenticate()` is the one check of an access token,
 * used by the HTTP guard and the Socket.IO handshake alike: signature and expiry, then the session
 * record (so logout/ban/password change take effect at once), then the account (role, ban). Sessions
 * this node has checked are cached, valid only while the auth state version (read afresh for every
 * check, one read shared by concurrent checks) is the one they were read at: every change that could
 * refuse or demote a token bumps it, on whichever node it is made.
 */
@Injectable()
export class AuthService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(AuthService.name);
  private readonly failedLoginsByAccount: RateLimiter;
  private readonly failedLoginsByIp: RateLimiter;
  private readonly registrationsByIp: RateLimiter | undefined;
  private readonly unsubscribers: (() => void)[] = [];
  private readonly authStateVersion: SharedFreshRead<number>;
  private readonly sessionCache = new AuthenticatedSessionCache();
  /** Cache misses' reads: checks arriving while one is in flight share the next (a reconnect storm). */
  private readonly sessionReads: InFlightBatcher<string, SessionRecord>;
  private readonly userReads: InFlightBatcher<string, UserRecord>;

  constructor(
    private readonly users: UsersRepository,
    private readonly sessions: SessionsRepository,
    authState: AuthStateVersionRepository,
    private readonly hasher: PasswordHasher,
    private readonly jwt: JwtService,
    private readonly config: AppConfig,
    private readonly bus: ClusterBus,
    private readonly events: DomainEvents,
    limiters: RateLimiterFactory,
    /** Plugins' user.beforeLogin / user.afterRegister hooks (absent in unit tests). */
    @Optional() private readonly hooks?: HookRunner,
  ) {
    this.authStateVersion = new SharedFreshRead(() => authState.read());
    this.sessionReads = new InFlightBatcher((ids) => sessions.findSessions(ids));
    this.userReads = new InFlightBatcher((ids) => users.findRecordsById(ids));
    this.failedLoginsByAccount = limiters.create({
      keyPrefix: 'login-fail:account',
      ...LOGIN_LIMITS.account,
    });
    this.failedLoginsByIp = limiters.create({ keyPrefix: 'login-fail:ip', ...LOGIN_LIMITS.ip });
    if (config.REGISTRATIONS_PER_IP_PER_HOUR > 0) {
      this.registrationsByIp = limiters.create({
        keyPrefix: 'register:ip',
        points: config.REGISTRATIONS_PER_IP_PER_HOUR,
        durationSeconds: 3600,
      });
    }
  }

  onModuleInit(): void {
    this.unsubscribers.push(
      this.events.on('user.banned', (event) => this.revokeUser(event.userId, 'banned')),
      this.events.on('user.role.changed', (event) => this.publishRoleChanged(event.userId)),
    );
  }

  onModuleDestroy(): void {
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
  }

  async authenticate(accessToken: string): Promise<AuthUser> {
    let claims: AccessClaims;
    try {
      claims = await this.jwt.verifyAsync<AccessClaims>(accessToken);
    } catch {
      throw new UnauthorizedError('invalid or expired access token');
    }
    if (typeof claims.sub !== 'string' || typeof claims.sid !== 'string') {
      throw new UnauthorizedError('invalid or expired access token');
    }
    return this.sessionUser(claims.sub, claims.sid);
  }

  /**
   * The account as the session authenticates it now (role changed, or UnauthorizedError if the session
   * ended): for a socket authenticated earlier, when a change notice may concern it.
   */
  async reauthenticate(user: AuthUser): Promise<AuthUser> {
    return this.sessionUser(user.id, user.sessionId);
  }

  private async sessionUser(userId: string, sessionId: string): Promise<AuthUser> {
    // Read before the session and the account: a change after this read bumps the version past it, so an
    // entry filled from what follows is never trusted beyond what it saw.
    const version = await this.authStateVersion.get();
    const cached = this.sessionCache.get(sessionId, userId, version);
    if (cached) return cached;
    // Both keys are in the signed claims: one round trip's wait instead of two.
    const [session, user] = await Promise.all([
      this.sessionReads.load(sessionId),
      this.userReads.load(userId),
    ]);
    const now = Date.now();
    if (!session || session.userId !== userId || session.revokedAt || session.expiresAt.getTime() <= now) {
      throw new UnauthorizedError('session has ended');
    }
    if (!user || user.bannedAt) throw new UnauthorizedError('session has ended');
    const authUser: AuthUser = {
      id: user.id,
      username: user.username,
      role: user.role,
      sessionId: session.id,
    };
    this.sessionCache.set(sessionId, { user: authUser, expiresAt: session.expiresAt.getTime(), version });
    return authUser;
  }

  /**
   * Creates an account. Open registration can be closed (REGISTRATION_OPEN=closed); admins can still
   * create accounts (`createdBy`). The first account of an empty install becomes admin unless an admin
   * is seeded from ADMIN_USERNAME/ADMIN_PASSWORD.
   */
  async register(
    input: { username: string; password: string; displayName?: string },
    createdBy?: AuthUser,
    role?: Role,
  ): Promise<AuthTokens> {
    const user = await this.createUser(input, createdBy, role);
    return this.startSession(user);
  }

  /**
   * Self-service registration (`POST /api/auth/register`), throttled per client address: each one costs a
   * password hash, so an unthrottled endpoint would let one client keep the CPU busy.
   */
  async registerFrom(
    clientIp: string,
    input: { username: string; password: string; displayName?: string },
  ): Promise<AuthTokens> {
    if (!this.config.REGISTRATION_OPEN) throw new ForbiddenError('registration is closed');
    await this.registrationsByIp?.consume(clientIp, 'too many registrations from this address');
    return this.register(input);
  }

  async createUser(
    input: { username: string; password: string; displayName?: string },
    createdBy?: AuthUser,
    role?: Role,
  ): Promise<UserRecord> {
    if (createdBy && createdBy.role !== 'admin') throw new ForbiddenError('only admins create accounts');
    if (!createdBy && !this.config.REGISTRATION_OPEN) throw new ForbiddenError('registration is closed');
    const existing = await this.users.findByUsername(input.username);
    if (existing) throw new ConflictError('username is taken', 'username');
    const firstAccount = !createdBy && !role && (await this.users.count()) === 0;
    let user = await this.users.create({
      username: input.username,
      displayName: input.displayName?.trim() || input.username,
      passwordHash: await this.hasher.hash(input.password),
      role: role ?? (firstAccount ? 'admin' : 'member'),
    });
    if (firstAccount && (await this.users.findFirst())?.id !== user.id) {
      // Two registrations raced on an empty install: only the earliest account keeps admin.
      user = (await this.users.update(user.id, { role: 'member' })) ?? { ...user, role: 'member' };
    }
    // After-the-fact and never awaited: a slow plugin must not delay the new account's first response.
    if (this.hooks?.has('user.afterRegister'))
      void this.hooks.notify('user.afterRegister', { user: toPluginUser(user) });
    return user;
  }

  /** Checks a username/password pair (passport-local calls this); throttled per account and address. */
  async verifyCredentials(username: string, password: string, clientIp: string): Promise<UserRecord> {
    const accountKey = username.toLowerCase();
    await this.refuseIfThrottled(this.failedLoginsByAccount, accountKey, LOGIN_LIMITS.account.points);
    await this.refuseIfThrottled(this.failedLoginsByIp, clientIp, LOGIN_LIMITS.ip.points);
    const user = await this.users.findByUsername(username);
    const ok = user
      ? await this.hasher.verify(password, user.passwordHash)
      : await this.hasher.verifyNothing(password);
    if (!user || !ok) {
      await Promise.all([
        this.failedLoginsByAccount.consume(accountKey).catch(ignoreRateLimit),
        this.failedLoginsByIp.consume(clientIp).catch(ignoreRateLimit),
      ]);
      throw new UnauthorizedError('wrong username or password');
    }
    if (user.bannedAt) throw new ForbiddenError('this account is banned');
    await this.hooks?.gate('user.beforeLogin', { username: user.username, userId: user.id });
    await this.failedLoginsByAccount.reset(accountKey);
    return user;
  }

  async login(user: UserRecord): Promise<AuthTokens> {
    return this.startSession(user);
  }

  /**
   * Trades a refresh token for a new pair. Each refresh token works once; presenting a used one again
   * means it was copied, so the whole family (session) is revoked and its sockets disconnected.
   */
  async refresh(refreshToken: string): Promise<AuthTokens> {
    const hash = sha256(refreshToken);
    const token = await this.sessions.findRefreshToken(hash);
    if (!token) throw new UnauthorizedError('invalid refresh token');
    const now = new Date();
    if (token.usedAt || !(await this.sessions.markRefreshTokenUsed(hash, now))) {
      const wasLive = await this.sessions.revokeSession(token.sessionId, 'refresh_reuse', now);
      if (wasLive) {
        this.logger.warn(`refresh token reuse: session ${token.sessionId} of user ${token.userId} revoked`);
        await this.publishRevoked({
          userId: token.userId,
          sessionId: token.sessionId,
          reason: 'refresh_reuse',
        });
      }
      throw new UnauthorizedError('refresh token already used; session revoked');
    }
    const session = await this.sessions.findSession(token.sessionId);
    if (!session || session.revokedAt || session.expiresAt <= now || token.expiresAt <= now) {
      throw new UnauthorizedError('session has ended');
    }
    const user = await this.users.findById(token.userId);
    if (!user || user.bannedAt) throw new UnauthorizedError('session has ended');
    return this.issueTokens(user, session.id, session.expiresAt);
  }

  async logout(auth: AuthUser): Promise<void> {
    if (await this.sessions.revokeSession(auth.sessionId, 'logout', new Date())) {
      await this.publishRevoked({ userId: auth.id, sessionId: auth.sessionId, reason: 'logout' });
    }
  }

  /** Ends every session of the user (their sockets too) and starts a fresh one for the caller. */
  async changePassword(auth: AuthUser, currentPassword: string, newPassword: string): Promise<AuthTokens> {
    const user = await this.users.findById(auth.id);
    if (!user) throw new UnauthorizedError('session has ended');
    if (!(await this.hasher.verify(currentPassword, user.passwordHash))) {
      throw new ValidationFailedError('current password is wrong', 'currentPassword');
    }
    const updated = await this.users.update(user.id, { passwordHash: await this.hasher.hash(newPassword) });
    await this.revokeUser(user.id, 'password_changed');
    return this.startSession(updated ?? user);
  }

  /** Seeds (or promotes) the admin named by ADMIN_USERNAME/ADMIN_PASSWORD; the password is set only on creation. */
  async seedAdmin(username: string, password: string): Promise<void> {
    const existing = await this.users.findByUsername(username);
    if (!existing) {
      try {
        await this.users.create({
          username,
          displayName: username,
          passwordHash: await this.hasher.hash(password),
          role: 'admin',
        });
        this.logger.log(`admin account '${username}' created from ADMIN_USERNAME`);
      } catch (err) {
        // Several nodes booting at once: another one created it first.
        if (!(err instanceof ConflictError)) throw err;
      }
    } else if (existing.role !== 'admin') {
      await this.users.update(existing.id, { role: 'admin' });
      await this.publishRoleChanged(existing.id);
      this.logger.log(`account '${username}' promoted to admin from ADMIN_USERNAME`);
    }
  }

  async revokeUser(userId: string, reason: AuthRevokedNotice['reason']): Promise<void> {
    await this.sessions.revokeUserSessions(userId, reason, new Date());
    await this.publishRevoked({ userId, reason });
  }

  private async startSession(user: UserRecord): Promise<AuthTokens> {
    const now = new Date();
    const sessionId = randomUUID();
    const expiresAt = new Date(now.getTime() + this.config.REFRESH_TOKEN_TTL_SECONDS * 1000);
    await this.sessions.createSession({ id: sessionId, userId: user.id, createdAt: now, expiresAt });
    return this.issueTokens(user, sessionId, expiresAt);
  }

  private async issueTokens(
    user: UserRecord,
    sessionId: string,
    sessionExpiresAt: Date,
  ): Promise<AuthTokens> {
    const refreshToken = `${sessionId}.${randomBytes(32).toString('base64url')}`;
    await this.sessions.insertRefreshToken({
      hash: sha256(refreshToken),
      sessionId,
      userId: user.id,
      usedAt: null,
      expiresAt: sessionExpiresAt,
    });
    const ttl = this.config.ACCESS_TOKEN_TTL_SECONDS;
    const claims: AccessClaims = { sub: user.id, sid: sessionId, usr: user.username };
    const accessToken = await this.jwt.signAsync(claims, { expiresIn: ttl });
    return {
      user: toUserView(user),
      accessToken,
      accessTokenExpiresAt: new Date(Date.now() + ttl * 1000).toISOString(),
      refreshToken,
      refreshTokenExpiresAt: sessionExpiresAt.toISOString(),
    };
  }

  private async refuseIfThrottled(limiter: RateLimiter, key: string, points: number): Promise<void> {
    const state = await limiter.backend.get(key);
    if (state && state.consumedPoints >= points) {
      throw new RateLimitedError('too many failed logins; try again later', state.msBeforeNext);
    }
  }

  private async publishRevoked(notice: AuthRevokedNotice): Promise<void> {
    await this.bus.publish('auth.revoked', notice);
  }

  /** Live sockets of the user, on every node, take the role the account has now. */
  private async publishRoleChanged(userId: string): Promise<void> {
    await this.bus.publish('auth.role-changed', { userId });
  }
}

function ignoreRateLimit(err: unknown): void {
  if (!(err instanceof RateLimitedError)) throw err;
}
