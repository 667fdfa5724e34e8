import { EventEmitter2 } from '@nestjs/event-emitter';
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { AuthUser } from '../auth/auth-user';
import { DomainError, ForbiddenError, NotFoundError, ValidationFailedError } from '../common/domain-error';
import { DomainEvents, DomainEventMap } from '../common/domain-events';
import { UserRecord } from '../users/user.entity';
import { UsersRepository } from '../users/users.repository';
import { RoomAccess } from './room-access.service';
import { MembershipRecord, RoomRecord, RoomRole } from './room.entity';
import { NewRoom, RoomDirectoryQuery, RoomsRepository } from './rooms.repository';
import { RoomsService } from './rooms.service';

/** An in-memory RoomsRepository with the same contract (duplicate direct rooms throw E11000). */
class FakeRooms {
  readonly rooms = new Map<string, RoomRecord>();
  readonly members: MembershipRecord[] = [];
  private next = 1;
  /** Simulates another node creating the same direct room between findDirect and create. */
  raceNextDirectCreate = false;

  async create(room: NewRoom): Promise<RoomRecord> {
    const directUserIds = room.directUserIds ? [...room.directUserIds].sort() : [];
    if (room.kind === 'direct' && (this.raceNextDirectCreate || this.findDirectSync(directUserIds))) {
      if (this.raceNextDirectCreate) {
        this.raceNextDirectCreate = false;
        this.insert({ ...room, directUserIds });
      }
      throw Object.assign(new Error('E11000'), { code: 11000 });
    }
    return { ...this.insert({ ...room, directUserIds }) };
  }
  async findById(id: string) {
    const r = this.rooms.get(id);
    return r ? { ...r } : null;
  }
  async findByIds(ids: readonly string[]) {
    return ids.flatMap((id) => (this.rooms.has(id) ? [{ ...this.rooms.get(id)! }] : []));
  }
  async findDirect(pair: readonly [string, string]) {
    return this.findDirectSync([...pair].sort()) ?? null;
  }
  async directory(q: RoomDirectoryQuery) {
    return [...this.rooms.values()]
      .filter((r) => r.kind === 'public' && !r.archivedAt)
      .filter((r) => !q.prefix || r.name.toLowerCase().startsWith(q.prefix.toLowerCase()))
      .sort((a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase()) || a.id.localeCompare(b.id))
      .filter(
        (r) =>
          !q.after || [r.name.toLowerCase(), r.id].join('\0') > [q.after.nameLower, q.after.id].join('\0'),
      )
      .slice(0, q.limit);
  }
  async update(id: string, changes: Partial<RoomRecord>) {
    const r = this.rooms.get(id);
    if (!r) return null;
    Object.assign(r, changes);
    return { ...r };
  }
  async delete(id: string) {
    const existed = this.rooms.delete(id);
    for (let i = this.members.length - 1; i >= 0; i -= 1)
      if (this.members[i]?.roomId === id) this.members.splice(i, 1);
    return existed;
  }
  async findMember(roomId: string, userId: string) {
    const m = this.members.find((x) => x.roomId === roomId && x.userId === userId);
    return m ? { ...m } : null;
  }
  async addMember(roomId: string, user: { id: string; username: string }, role: RoomRole) {
    if (this.members.some((x) => x.roomId === roomId && x.userId === user.id)) return null;
    const m = {
      roomId,
      userId: user.id,
      username: user.username,
      role,
      joinedAt: new Date(Date.now() + this.members.length),
    };
    this.members.push(m);
    this.rooms.get(roomId)!.memberCount += 1;
    return { ...m };
  }
  async removeMember(roomId: string, userId: string) {
    const i = this.members.findIndex((x) => x.roomId === roomId && x.userId === userId);
    if (i < 0) return false;
    this.members.splice(i, 1);
    this.rooms.get(roomId)!.memberCount -= 1;
    return true;
  }
  async setMemberRole(roomId: string, userId: string, role: RoomRole) {
    const m = this.members.find((x) => x.roomId === roomId && x.userId === userId);
    if (!m) return null;
    m.role = role;
    return { ...m };
  }
  async membershipsOf(userId: string) {
    return this.members.filter((m) => m.userId === userId).map((m) => ({ ...m }));
  }
  async membersOf(roomId: string, limit: number) {
    return this.members
      .filter((m) => m.roomId === roomId)
      .slice(0, limit)
      .map((m) => ({ ...m }));
  }
  private insert(room: NewRoom & { directUserIds: string[] }): RoomRecord {
    const now = new Date();
    const record: RoomRecord = {
      id: (this.next++).toString(16).padStart(24, '0'),
      kind: room.kind,
      name: room.name,
      topic: room.topic,
      archivedAt: null,
      directUserIds: room.directUserIds,
      memberCount: 0,
      lastSeq: 0,
      createdBy: room.createdBy,
      createdAt: now,
      updatedAt: now,
    };
    this.rooms.set(record.id, record);
    return record;
  }
  private findDirectSync(sorted: string[]): RoomRecord | undefined {
    return [...this.rooms.values()].find(
      (r) => r.kind === 'direct' && r.directUserIds.join(':') === sorted.join(':'),
    );
  }
}

function account(id: string, role: AuthUser['role'] = 'member'): AuthUser {
  return { id, username: id, role, sessionId: `s-${id}` };
}

async function rejection(promise: Promise<unknown>): Promise<DomainError> {
  const err = await promise.then(
    () => assert.fail('expected a rejection'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof DomainError, String(err));
  return err;
}

describe('RoomsService', () => {
  const owner = account('owner');
  const mod = account('mod');
  const bob = account('bob');
  const carol = account('carol');
  const admin = account('admin', 'admin');
  let repo: FakeRooms;
  let service: RoomsService;
  let events: Array<{ name: keyof DomainEventMap; payload: unknown }>;

  beforeEach(() => {
    repo = new FakeRooms();
    const users = {
      findById: async (id: string) =>
        ['owner', 'mod', 'bob', 'carol', 'admin'].includes(id)
          ? ({ id, username: id, bannedAt: null } as unknown as UserRecord)
          : null,
    } as unknown as UsersRepository;
    const bus = new DomainEvents(new EventEmitter2());
    events = [];
    for (const name of [
      'room.created',
      'room.updated',
      'room.deleted',
      'room.member.joined',
      'room.member.left',
    ] as const) {
      bus.on(name, (payload) => void events.push({ name, payload }));
    }
    const rooms = repo as unknown as RoomsRepository;
    service = new RoomsService(rooms, users, new RoomAccess(rooms), bus);
  });

  async function privateRoomWithMembers(): Promise<string> {
    const room = await service.create(owner, { name: 'team', kind: 'private' });
    await service.invite(owner, room.id, mod.id);
    await service.setRole(owner, room.id, mod.id, 'moderator');
    await service.invite(mod, room.id, bob.id);
    return room.id;
  }

  it('creates a room with its creator as owner and announces the membership', async () => {
    const room = await service.create(owner, { name: '  Lobby  ', kind: 'public', topic: ' hi ' });
    assert.deepEqual([room.name, room.topic, room.myRole, room.memberCount], ['Lobby', 'hi', 'owner', 1]);
    assert.deepEqual(
      events.map((e) => e.name),
      ['room.created', 'room.member.joined'],
    );
    assert.ok(
      (await rejection(service.create(owner, { name: ' ', kind: 'public' }))) instanceof
        ValidationFailedError,
    );
  });

  it('applies the kick rules: moderators kick members, only owners kick moderators, nobody kicks an owner', async () => {
    const roomId = await privateRoomWithMembers();
    assert.ok((await rejection(service.kick(bob, roomId, mod.id))) instanceof ForbiddenError);
    assert.ok((await rejection(service.kick(mod, roomId, owner.id))) instanceof ForbiddenError);
    await service.invite(owner, roomId, carol.id);
    await service.setRole(owner, roomId, carol.id, 'moderator');
    assert.ok((await rejection(service.kick(mod, roomId, carol.id))) instanceof ForbiddenError);
    assert.equal((await rejection(service.kick(mod, roomId, mod.id))).field, 'userId');
    await service.kick(mod, roomId, bob.id);
    await service.kick(admin, roomId, carol.id);
    assert.deepEqual(
      events.filter((e) => e.name === 'room.member.left').map((e) => e.payload),
      [
        { roomId, userId: bob.id, reason: 'kicked', actor: mod },
        { roomId, userId: carol.id, reason: 'kicked', actor: admin },
      ],
    );
    assert.equal((await rejection(service.kick(mod, roomId, bob.id))).code, 'not_found');
  });

  it('hands ownership to the longest-standing moderator when the owner leaves', async () => {
    const roomId = await privateRoomWithMembers();
    await service.leave(owner, roomId);
    const members = await service.members(mod, roomId);
    assert.deepEqual(
      members.map((m) => [m.userId, m.role]),
      [
        [mod.id, 'owner'],
        [bob.id, 'member'],
      ],
    );
  });

  it('needs room.manage to rename or archive and room.moderate for the topic', async () => {
    const roomId = await privateRoomWithMembers();
    assert.ok((await rejection(service.update(mod, roomId, { name: 'x' }))) instanceof ForbiddenError);
    assert.equal((await service.update(mod, roomId, { topic: 'new topic' })).topic, 'new topic');
    assert.ok((await rejection(service.update(bob, roomId, { topic: 'x' }))) instanceof ForbiddenError);
    await service.update(owner, roomId, { archived: true });
    assert.ok((await rejection(service.update(mod, roomId, { topic: 'x' }))) instanceof ForbiddenError);
    // Reopening and setting the topic in one call is judged on the reopened room.
    const reopened = await service.update(owner, roomId, { archived: false, topic: 'back' });
    assert.deepEqual([reopened.archived, reopened.topic], [false, 'back']);
    const updates = events.filter((e) => e.name === 'room.updated').length;
    await service.update(owner, roomId, {});
    assert.equal(events.filter((e) => e.name === 'room.updated').length, updates);
  });

  it('opens one direct room per pair, healing a lost creation race', async () => {
    repo.raceNextDirectCreate = true;
    const dm = await service.openDirect(bob, carol.id);
    const again = await service.openDirect(carol, bob.id);
    assert.equal(dm.id, again.id);
    assert.equal(repo.rooms.size, 1);
    assert.deepEqual((await service.members(bob, dm.id)).map((m) => m.userId).sort(), [bob.id, carol.id]);
    assert.ok((await rejection(service.openDirect(bob, bob.id))) instanceof ValidationFailedError);
    assert.ok((await rejection(service.openDirect(bob, 'nobody'))) instanceof NotFoundError);
  });

  it('pages the directory with an opaque cursor and refuses a forged one', async () => {
    for (const name of ['b', 'a', 'c']) await service.create(owner, { name, kind: 'public' });
    await service.create(owner, { name: 'hidden', kind: 'private' });
    const first = await service.directory(bob, { limit: 2 });
    assert.deepEqual(
      first.rooms.map((r) => r.name),
      ['a', 'b'],
    );
    const rest = await service.directory(bob, { limit: 2, after: first.nextAfter ?? undefined });
    assert.deepEqual(
      rest.rooms.map((r) => r.name),
      ['c'],
    );
    assert.equal(rest.nextAfter, null);
    assert.equal((await rejection(service.directory(bob, { after: 'bm90IGEgY3Vyc29y' }))).field, 'after');
  });
});
