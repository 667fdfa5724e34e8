import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AuthUser } from '../auth/auth-user';
import { DomainError, ForbiddenError, NotFoundError } from '../common/domain-error';
import { assertRoomPermission, RoomAccess } from './room-access.service';
import {
  MembershipRecord,
  ROOM_PERMISSIONS,
  RoomKind,
  RoomPermission,
  RoomRecord,
  RoomRole,
} from './room.entity';
import { RoomsRepository } from './rooms.repository';

const ROOM_ID = 'aaaaaaaaaaaaaaaaaaaaaaaa';

function room(kind: RoomKind, archived = false): RoomRecord {
  const now = new Date();
  return {
    id: ROOM_ID,
    kind,
    name: 'r',
    topic: '',
    archivedAt: archived ? now : null,
    directUserIds: [],
    memberCount: 1,
    lastSeq: 0,
    createdBy: 'u0',
    createdAt: now,
    updatedAt: now,
  };
}

function user(role: AuthUser['role'] = 'member'): AuthUser {
  return { id: 'u1', username: 'u1', role, sessionId: 's1' };
}

function member(role: RoomRole): MembershipRecord {
  return { roomId: ROOM_ID, userId: 'u1', username: 'u1', role, joinedAt: new Date() };
}

/** The outcome as a word, so whole rows of the permission table compare at once. */
function outcome(u: AuthUser, r: RoomRecord, m: MembershipRecord | null, p: RoomPermission): string {
  try {
    assertRoomPermission(u, r, m, p);
    return 'ok';
  } catch (err) {
    if (err instanceof NotFoundError) return 'hidden';
    if (err instanceof ForbiddenError) return 'no';
    throw err;
  }
}

function row(u: AuthUser, r: RoomRecord, m: MembershipRecord | null): Record<RoomPermission, string> {
  return Object.fromEntries(ROOM_PERMISSIONS.map((p) => [p, outcome(u, r, m, p)])) as Record<
    RoomPermission,
    string
  >;
}

describe('assertRoomPermission', () => {
  it('hides private and direct rooms from non-members, but not from global admins', () => {
    for (const kind of ['private', 'direct'] as const) {
      assert.ok(
        Object.values(row(user(), room(kind), null)).every((o) => o === 'hidden'),
        kind,
      );
      assert.ok(
        Object.values(row(user('moderator'), room(kind), null)).every((o) => o === 'hidden'),
        kind,
      );
      assert.equal(outcome(user('admin'), room(kind), null, 'room.read'), 'ok');
    }
  });

  it('lets a non-member read and join a public room, nothing more', () => {
    assert.deepEqual(row(user(), room('public'), null), {
      'room.read': 'ok',
      'room.join': 'ok',
      'room.post': 'no',
      'room.invite': 'no',
      'room.moderate': 'no',
      'room.manage': 'no',
      'media.upload': 'no',
    });
  });

  it('grants members, moderators and owners of a private room what their role allows', () => {
    assert.deepEqual(row(user(), room('private'), member('member')), {
      'room.read': 'ok',
      'room.join': 'no',
      'room.post': 'ok',
      'room.invite': 'no',
      'room.moderate': 'no',
      'room.manage': 'no',
      'media.upload': 'ok',
    });
    assert.deepEqual(row(user(), room('private'), member('moderator')), {
      'room.read': 'ok',
      'room.join': 'no',
      'room.post': 'ok',
      'room.invite': 'ok',
      'room.moderate': 'ok',
      'room.manage': 'no',
      'media.upload': 'ok',
    });
    assert.equal(outcome(user(), room('private'), member('owner'), 'room.manage'), 'ok');
  });

  it('lets any member of a public room invite', () => {
    assert.equal(outcome(user(), room('public'), member('member'), 'room.invite'), 'ok');
  });

  it('makes archived rooms read-only while their owner may still manage them', () => {
    assert.deepEqual(row(user(), room('public', true), member('owner')), {
      'room.read': 'ok',
      'room.join': 'no',
      'room.post': 'no',
      'room.invite': 'no',
      'room.moderate': 'no',
      'room.manage': 'ok',
      'media.upload': 'no',
    });
  });

  it('never lets anyone invite into or manage a direct room; global admins may moderate every room', () => {
    assert.equal(outcome(user('admin'), room('direct'), member('member'), 'room.invite'), 'no');
    assert.equal(outcome(user('admin'), room('direct'), null, 'room.manage'), 'no');
    assert.equal(outcome(user('admin'), room('private'), null, 'room.moderate'), 'ok');
    assert.equal(outcome(user('admin'), room('private'), null, 'room.post'), 'no');
  });
});

describe('RoomAccess', () => {
  const stored = room('private');
  const repo = {
    findById: async (id: string) => (id === ROOM_ID ? stored : null),
    findMember: async (_roomId: string, userId: string) => (userId === 'u1' ? member('moderator') : null),
  } as unknown as RoomsRepository;
  const access = new RoomAccess(repo);

  it('returns the room with the caller’s role', async () => {
    const view = await access.require(user(), ROOM_ID, 'room.moderate');
    assert.equal(view.id, ROOM_ID);
    assert.equal(view.myRole, 'moderator');
  });

  it('answers an unknown room and a hidden room alike: not_found naming roomId', async () => {
    const missing = await access
      .require(user(), 'bbbbbbbbbbbbbbbbbbbbbbbb', 'room.read')
      .catch((e: DomainError) => e);
    const hidden = await access
      .require({ ...user(), id: 'u2' }, ROOM_ID, 'room.read')
      .catch((e: DomainError) => e);
    assert.ok(missing instanceof NotFoundError && hidden instanceof NotFoundError);
    assert.deepEqual(missing.toBody(), hidden.toBody());
    assert.equal(missing.field, 'roomId');
  });

  it('finds the caller’s membership when the room id is spelled in upper case', async () => {
    // Like the database: ids match in any case, memberships are keyed by the stored lower-case id.
    const caseBlind = new RoomAccess({
      findById: async (id: string) => (id.toLowerCase() === ROOM_ID ? stored : null),
      findMember: async (roomId: string, userId: string) =>
        roomId === ROOM_ID && userId === 'u1' ? member('moderator') : null,
    } as unknown as RoomsRepository);
    const view = await caseBlind.require(user(), ROOM_ID.toUpperCase(), 'room.moderate');
    assert.equal(view.myRole, 'moderator');
  });
});
