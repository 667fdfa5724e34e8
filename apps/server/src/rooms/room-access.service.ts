import { Injectable, Optional } from '@nestjs/common';
import { AuthUser } from '../auth/auth-user';
import { ForbiddenError, NotFoundError } from '../common/domain-error';
import { RoomAccessCache } from './room-access.cache';
import {
  MembershipRecord,
  RoomAccessState,
  RoomPermission,
  RoomRecord,
  RoomRole,
  RoomView,
  toRoomView,
} from './room.entity';
import { RoomsRepository } from './rooms.repository';

/**
 * What RoomAccess.admit allowed, to be confirmed against the room's state once the room counter is taken:
 * the room as it was when the caller's role was read, and that role.
 */
export interface RoomAccessTicket {
  /** The stored (canonical) room id. */
  roomId: string;
  permission: RoomPermission;
  room: RoomAccessState;
  role: RoomRole | null;
}

/** A room with the caller's membership, as RoomAccess found them. */
export interface RoomAccessGrant {
  room: RoomRecord;
  membership: MembershipRecord | null;
}

const MODERATOR_ROLES: readonly RoomRole[] = ['owner', 'moderator'];
/** What an archived room still allows: it is read-only, but its owner may unarchive or delete it. */
const ARCHIVED_ALLOWS: readonly RoomPermission[] = ['room.read', 'room.manage'];

/**
 * Decides whether `user` (with `membership`, or none) may do `permission` in `room`; throws otherwise.
 * Rooms the user may not even see (private and direct rooms they are not in) are NotFound, so their
 * existence does not leak; everything else refused is Forbidden. Global admins see and moderate every room.
 */
export function assertRoomPermission(
  user: AuthUser,
  room: Pick<RoomRecord, 'kind' | 'archivedAt'>,
  membership: Pick<MembershipRecord, 'role'> | null,
  permission: RoomPermission,
): void {
  const isAdmin = user.role === 'admin';
  const role = membership?.role ?? null;
  if (room.kind !== 'public' && !role && !isAdmin) throw new NotFoundError('room', 'roomId');
  if (room.archivedAt && !ARCHIVED_ALLOWS.includes(permission)) {
    throw new ForbiddenError('this room is archived (read-only)');
  }
  const roomModerator = role !== null && MODERATOR_ROLES.includes(role);
  switch (permission) {
    case 'room.read':
      return;
    case 'room.join':
      if (room.kind !== 'public') throw new ForbiddenError('this room is invite-only');
      return;
    case 'room.post':
    case 'media.upload':
      if (!role) throw new ForbiddenError('join the room first');
      return;
    case 'room.invite':
      if (room.kind === 'direct') throw new ForbiddenError('direct conversations have exactly two members');
      if (room.kind === 'public' ? role !== null : roomModerator || isAdmin) return;
      throw new ForbiddenError('only room moderators may invite to a private room');
    case 'room.moderate':
      if (roomModerator || isAdmin) return;
      throw new ForbiddenError('only room moderators may do this');
    case 'room.manage':
      if (room.kind === 'direct') throw new ForbiddenError('direct conversations cannot be managed');
      if (role === 'owner' || isAdmin) return;
      throw new ForbiddenError('only the room owner may do this');
  }
}

/** The one access helper for rooms: every service calls it before touching room data. */
@Injectable()
export class RoomAccess {
  constructor(
    private readonly rooms: RoomsRepository,
    @Optional() private readonly cache: RoomAccessCache = new RoomAccessCache(),
  ) {}

  /** The room as the caller sees it (with their role), or NotFoundError / ForbiddenError. */
  async require(user: AuthUser, roomId: string, permission: RoomPermission): Promise<RoomView> {
    const { room, membership } = await this.grant(user, roomId, permission);
    return toRoomView(room, membership?.role ?? null);
  }

  /** Like require(), but hands back the stored records for services that go on to change them. */
  async grant(user: AuthUser, roomId: string, permission: RoomPermission): Promise<RoomAccessGrant> {
    // Both reads at once: one round trip of waiting instead of two on every send (docs/performance.md).
    const [room, found] = await Promise.all([
      this.rooms.findById(roomId),
      this.rooms.findMember(roomId, user.id),
    ]);
    if (!room) throw new NotFoundError('room', 'roomId');
    // The stored id is lower-case hex; an id given in another spelling is looked up again by the stored one.
    const membership = room.id === roomId ? found : await this.rooms.findMember(room.id, user.id);
    assertRoomPermission(user, room, membership, permission);
    return { room, membership };
  }

  /**
   * The check for a write that then takes a value of the room counter (sending a message): decided from
   * this node's cache when it allows, so the hot path reads nothing. The caller must pass what
   * RoomsRepository.takeSeq returned to confirm() before writing. A cached refusal is never trusted
   * (the user may have joined on another node): it is read again.
   */
  async admit(user: AuthUser, roomId: string, permission: RoomPermission): Promise<RoomAccessTicket> {
    const cached = this.cache.get(roomId, user.id);
    if (cached && allows(user, cached.room, cached.role, permission)) {
      return { roomId: cached.room.id, permission, room: cached.room, role: cached.role };
    }
    // The room first, then the membership: the version recorded is then never newer than the
    // membership read, so any change after it shows as a different version in confirm().
    const room = await this.rooms.findAccessState(roomId);
    if (!room) throw new NotFoundError('room', 'roomId');
    const role = (await this.rooms.findMember(room.id, user.id))?.role ?? null;
    if (room.id === roomId) this.cache.set(room.id, user.id, { room, role });
    assertRoomPermission(user, room, role === null ? null : { role }, permission);
    return { roomId: room.id, permission, room, role };
  }

  /**
   * Re-checks a ticket against the room state returned by the counter write (`taken`). Unchanged version:
   * nothing changed since the role was read, no read. Otherwise the membership is read again (after the
   * counter write, so it is at least as new as `taken`) and the decision made afresh; throws like
   * require(). A kick acknowledged before the send began has bumped the version by then, on any node.
   */
  async confirm(user: AuthUser, ticket: RoomAccessTicket, taken: RoomAccessState): Promise<void> {
    let role = ticket.role;
    if (taken.accessVersion !== ticket.room.accessVersion) {
      role = (await this.rooms.findMember(ticket.roomId, user.id))?.role ?? null;
      this.cache.set(ticket.roomId, user.id, { room: taken, role });
    }
    assertRoomPermission(user, taken, role === null ? null : { role }, ticket.permission);
  }
}

function allows(
  user: AuthUser,
  room: RoomAccessState,
  role: RoomRole | null,
  permission: RoomPermission,
): boolean {
  try {
    assertRoomPermission(user, room, role === null ? null : { role }, permission);
    return true;
  } catch {
    return false;
  }
}
