import { EventEmitter2 } from '@nestjs/event-emitter';
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { AuthUser } from '../auth/auth-user';
import { BusChannels, InProcessClusterBus } from '../cluster/cluster-bus';
import { ForbiddenError, NotFoundError } from '../common/domain-error';
import { DomainEvents } from '../common/domain-events';
import { CachedRoomAccess, ROOM_ACCESS_CACHE_MAX, RoomAccessCache } from './room-access.cache';
import { RoomAccess } from './room-access.service';
import { MembershipRecord, RoomAccessState, RoomRole, RoomView } from './room.entity';
import { RoomsRepository } from './rooms.repository';

const ROOM = 'aaaaaaaaaaaaaaaaaaaaaaaa';
const OTHER_ROOM = 'bbbbbbbbbbbbbbbbbbbbbbbb';
const alice: AuthUser = { id: 'alice', username: 'alice', role: 'member', sessionId: 's1' };
const actor: AuthUser = { id: 'owner', username: 'owner', role: 'member', sessionId: 's0' };

function entry(role: RoomRole | null, accessVersion = 0, id = ROOM): CachedRoomAccess {
  return { room: { id, kind: 'public', archivedAt: null, accessVersion }, role };
}

function roomView(id: string): RoomView {
  return {
    id,
    kind: 'public',
    name: 'r',
    topic: '',
    archived: false,
    directUserIds: [],
    memberCount: 1,
    lastSeq: 0,
    myRole: null,
    createdAt: new Date(0).toISOString(),
  };
}

describe('RoomAccessCache', () => {
  let events: DomainEvents;
  let bus: InProcessClusterBus;
  let cache: RoomAccessCache;
  let published: Array<BusChannels['rooms.access']>;

  beforeEach(() => {
    events = new DomainEvents(new EventEmitter2());
    bus = new InProcessClusterBus();
    published = [];
    bus.subscribe('rooms.access', (payload) => void published.push(payload));
    cache = new RoomAccessCache(events, bus);
    cache.onModuleInit();
    cache.set(ROOM, 'alice', entry('member'));
    cache.set(ROOM, 'bob', entry('member'));
    cache.set(OTHER_ROOM, 'alice', entry('owner', 0, OTHER_ROOM));
  });

  afterEach(() => cache.onModuleDestroy());

  it('forgets a member who left or was kicked here, and tells the other nodes', () => {
    events.emit('room.member.left', { roomId: ROOM, userId: 'alice', reason: 'kicked', actor });
    assert.equal(cache.get(ROOM, 'alice'), undefined);
    assert.ok(cache.get(ROOM, 'bob'));
    assert.ok(cache.get(OTHER_ROOM, 'alice'));
    assert.deepEqual(published, [{ roomId: ROOM, userId: 'alice' }]);
  });

  it('forgets a member whose membership was created or re-roled here', () => {
    events.emit('room.member.joined', {
      room: roomView(ROOM),
      member: { userId: 'bob', username: 'bob', role: 'moderator', joinedAt: new Date(0).toISOString() },
      via: 'role_changed',
      actor,
    });
    assert.equal(cache.get(ROOM, 'bob'), undefined);
    assert.ok(cache.get(ROOM, 'alice'));
  });

  it('forgets everyone of a room that was updated (archived) or deleted, and no other room', () => {
    events.emit('room.updated', { room: roomView(ROOM), actor });
    assert.equal(cache.get(ROOM, 'alice'), undefined);
    assert.equal(cache.get(ROOM, 'bob'), undefined);
    assert.ok(cache.get(OTHER_ROOM, 'alice'));
    events.emit('room.deleted', { roomId: OTHER_ROOM, actor });
    assert.equal(cache.size, 0);
    assert.deepEqual(published, [{ roomId: ROOM }, { roomId: OTHER_ROOM }]);
  });

  it('forgets what another node reports through the cluster bus', async () => {
    await bus.publish('rooms.access', { roomId: ROOM, userId: 'bob' });
    assert.equal(cache.get(ROOM, 'bob'), undefined);
    assert.ok(cache.get(ROOM, 'alice'));
    await bus.publish('rooms.access', { roomId: ROOM });
    assert.equal(cache.get(ROOM, 'alice'), undefined);
  });

  it(`keeps at most ${ROOM_ACCESS_CACHE_MAX} entries, dropping the least recently used`, () => {
    for (let i = 0; i < ROOM_ACCESS_CACHE_MAX; i += 1) {
      cache.get(ROOM, 'alice'); // used all along: survives
      cache.set(OTHER_ROOM, `user-${i}`, entry('member', 0, OTHER_ROOM));
    }
    assert.equal(cache.size, ROOM_ACCESS_CACHE_MAX);
    assert.ok(cache.get(ROOM, 'alice'));
    assert.equal(cache.get(ROOM, 'bob'), undefined);
    assert.equal(cache.get(OTHER_ROOM, 'user-0'), undefined);
    assert.ok(cache.get(OTHER_ROOM, `user-${ROOM_ACCESS_CACHE_MAX - 1}`));
  });
});

/** A repository holding one room whose memberships can change behind the node's back. */
class FakeRooms {
  state: RoomAccessState = { id: ROOM, kind: 'public', archivedAt: null, accessVersion: 0 };
  readonly roles = new Map<string, RoomRole>([['alice', 'member']]);
  reads = 0;

  async findAccessState(id: string): Promise<RoomAccessState | null> {
    this.reads += 1;
    return id === ROOM || id === ROOM.toUpperCase() ? { ...this.state } : null;
  }
  async findMember(roomId: string, userId: string): Promise<MembershipRecord | null> {
    this.reads += 1;
    const role = this.roles.get(userId);
    return roomId === ROOM && role ? { roomId, userId, username: userId, role, joinedAt: new Date() } : null;
  }
  changeRole(userId: string, role: RoomRole | null): void {
    if (role) this.roles.set(userId, role);
    else this.roles.delete(userId);
    this.state = { ...this.state, accessVersion: this.state.accessVersion + 1 };
  }
}

describe('RoomAccess.admit and confirm', () => {
  let rooms: FakeRooms;
  let access: RoomAccess;
  let cache: RoomAccessCache;

  beforeEach(() => {
    rooms = new FakeRooms();
    cache = new RoomAccessCache();
    access = new RoomAccess(rooms as unknown as RoomsRepository, cache);
  });

  it('reads the room and membership once, then admits from the cache', async () => {
    const first = await access.admit(alice, ROOM, 'room.post');
    await access.confirm(alice, first, rooms.state);
    assert.equal(rooms.reads, 2);
    const second = await access.admit(alice, ROOM, 'room.post');
    await access.confirm(alice, second, rooms.state);
    assert.equal(rooms.reads, 2);
    assert.deepEqual([second.roomId, second.role], [ROOM, 'member']);
  });

  it('re-reads the membership when the counter write shows a newer access version, and refuses a removed member', async () => {
    const ticket = await access.admit(alice, ROOM, 'room.post');
    rooms.changeRole('alice', null);
    await assert.rejects(access.confirm(alice, ticket, rooms.state), ForbiddenError);
    assert.deepEqual(cache.get(ROOM, 'alice'), { room: rooms.state, role: null });
  });

  it('confirms a ticket after an unrelated change of the room (another member)', async () => {
    const ticket = await access.admit(alice, ROOM, 'room.post');
    rooms.changeRole('bob', 'member');
    await access.confirm(alice, ticket, rooms.state);
    assert.equal(cache.get(ROOM, 'alice')?.room.accessVersion, rooms.state.accessVersion);
  });

  it('does not trust a cached refusal: a member who joined since is read again and admitted', async () => {
    cache.set(ROOM, 'alice', entry(null));
    const ticket = await access.admit(alice, ROOM, 'room.post');
    assert.equal(ticket.role, 'member');
  });

  it('refuses unknown rooms and rooms archived since the ticket, without caching other spellings', async () => {
    await assert.rejects(access.admit(alice, OTHER_ROOM, 'room.post'), NotFoundError);
    const ticket = await access.admit(alice, ROOM.toUpperCase(), 'room.post');
    assert.equal(ticket.roomId, ROOM);
    assert.equal(cache.size, 0);
    const archived = { ...rooms.state, archivedAt: new Date(), accessVersion: rooms.state.accessVersion + 1 };
    await assert.rejects(access.confirm(alice, ticket, archived), ForbiddenError);
  });
});
