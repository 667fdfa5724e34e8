import { EventEmitter2 } from '@nestjs/event-emitter';
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { AuthUser, Role } from '../auth/auth-user';
import '../auth/auth.events';
import { ForbiddenError, NotFoundError } from '../common/domain-error';
import { DomainEvents } from '../common/domain-events';
import { UserRecord } from './user.entity';
import { UserPageQuery, UsersRepository } from './users.repository';
import { UsersService } from './users.service';

class FakeUsersRepository {
  readonly rows = new Map<string, UserRecord>();

  add(username: string, role: Role = 'member'): UserRecord {
    const id = String(this.rows.size + 1).padStart(24, '0');
    const now = new Date();
    const row: UserRecord = {
      id,
      username,
      displayName: username,
      passwordHash: 'scrypt$x',
      role,
      bannedAt: null,
      bannedReason: null,
      createdAt: now,
      updatedAt: now,
    };
    this.rows.set(id, row);
    return row;
  }
  async findById(id: string) {
    return this.rows.get(id) ?? null;
  }
  async findByUsername(username: string) {
    return [...this.rows.values()].find((u) => u.username.toLowerCase() === username.toLowerCase()) ?? null;
  }
  async page(query: UserPageQuery) {
    return [...this.rows.values()]
      .map((u) => ({ u, key: u.username.toLowerCase() }))
      .filter(({ key }) => !query.prefix || key.startsWith(query.prefix.toLowerCase()))
      .filter(({ key }) => !query.after || key > query.after)
      .sort((a, b) => (a.key < b.key ? -1 : 1))
      .slice(0, query.limit)
      .map(({ u }) => u);
  }
  async update(id: string, changes: Partial<UserRecord>) {
    const row = this.rows.get(id);
    if (!row) return null;
    Object.assign(row, changes);
    return row;
  }
}

const asAuth = (u: UserRecord): AuthUser => ({
  id: u.id,
  username: u.username,
  role: u.role,
  sessionId: 's',
});

describe('UsersService', () => {
  let repo: FakeUsersRepository;
  let events: DomainEvents;
  let banned: string[];
  let users: UsersService;

  beforeEach(() => {
    repo = new FakeUsersRepository();
    events = new DomainEvents(new EventEmitter2());
    banned = [];
    events.on('user.banned', (e) => {
      banned.push(e.userId);
    });
    users = new UsersService(repo as unknown as UsersRepository, events);
  });

  it('pages the directory by username with a stable cursor', async () => {
    for (const name of ['dora', 'Bob', 'alice', 'carol', 'eve']) repo.add(name);
    const first = await users.list({ limit: 2 });
    assert.deepEqual(
      first.items.map((u) => u.username),
      ['alice', 'Bob'],
    );
    const second = await users.list({ limit: 2, cursor: first.nextCursor! });
    assert.deepEqual(
      second.items.map((u) => u.username),
      ['carol', 'dora'],
    );
    const last = await users.list({ limit: 2, cursor: second.nextCursor! });
    assert.deepEqual(
      last.items.map((u) => u.username),
      ['eve'],
    );
    assert.equal(last.nextCursor, null);
  });

  it('lets a moderator ban a member, announcing it so sessions end', async () => {
    const mod = repo.add('mod', 'moderator');
    const member = repo.add('member');
    const view = await users.ban(asAuth(mod), member.id, 'spam');
    assert.equal(view.banned, true);
    assert.equal(repo.rows.get(member.id)!.bannedReason, 'spam');
    assert.deepEqual(banned, [member.id]);
  });

  it('refuses bans of equals, superiors and oneself', async () => {
    const admin = repo.add('admin', 'admin');
    const mod = repo.add('mod', 'moderator');
    const mod2 = repo.add('mod2', 'moderator');
    const member = repo.add('member');
    await assert.rejects(users.ban(asAuth(mod), admin.id), ForbiddenError);
    await assert.rejects(users.ban(asAuth(mod), mod2.id), ForbiddenError);
    await assert.rejects(users.ban(asAuth(admin), admin.id), ForbiddenError);
    await assert.rejects(users.ban(asAuth(member), mod.id), ForbiddenError);
    await assert.rejects(users.ban(asAuth(admin), 'f'.repeat(24)), NotFoundError);
    assert.deepEqual(banned, []);
  });

  it('lets only admins change roles, never their own', async () => {
    const admin = repo.add('admin', 'admin');
    const mod = repo.add('mod', 'moderator');
    const member = repo.add('member');
    assert.equal((await users.setRole(asAuth(admin), member.id, 'moderator')).role, 'moderator');
    await assert.rejects(users.setRole(asAuth(mod), member.id, 'admin'), ForbiddenError);
    await assert.rejects(users.setRole(asAuth(admin), admin.id, 'member'), ForbiddenError);
  });

  it('announces a role change (so live sockets take it) only once it is stored', async () => {
    const admin = repo.add('admin', 'admin');
    const member = repo.add('member');
    const announced: { userId: string; role: string; stored: string }[] = [];
    events.on('user.role.changed', (e) => {
      announced.push({ userId: e.userId, role: e.role, stored: repo.rows.get(e.userId)!.role });
    });
    await users.setRole(asAuth(admin), member.id, 'moderator');
    assert.deepEqual(announced, [{ userId: member.id, role: 'moderator', stored: 'moderator' }]);
    await assert.rejects(users.setRole(asAuth(admin), admin.id, 'member'), ForbiddenError);
    assert.equal(announced.length, 1, 'a refused change announces nothing');
  });

  it('trims the display name', async () => {
    const member = repo.add('member');
    assert.equal((await users.updateProfile(asAuth(member), { displayName: '  Mem  ' })).displayName, 'Mem');
  });
});
