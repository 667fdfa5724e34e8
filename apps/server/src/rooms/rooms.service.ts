import { Injectable, Optional } from '@nestjs/common';
import type { RoomDirectoryPage, RoomMemberView } from '@palaver/client';
import { AuthUser } from '../auth/auth-user';
import { ConflictError, ForbiddenError, NotFoundError, ValidationFailedError } from '../common/domain-error';
import { DomainEvents } from '../common/domain-events';
import { UsersRepository } from '../users/users.repository';
import { assertRoomPermission, RoomAccess } from './room-access.service';
import { MembershipRecord, RoomRecord, RoomRole, RoomView, toRoomView } from './room.entity';
import { RoomMemberJoinedEvent } from './rooms.events';
import { isDuplicateKey, RoomsRepository } from './rooms.repository';
import { HookRunner } from '../plugins/hook-runner';
import { toPluginUser } from '../plugins/hook-payloads';

export interface CreateRoomInput {
  name: string;
  kind: 'public' | 'private';
  topic?: string;
}

export interface UpdateRoomInput {
  name?: string;
  topic?: string;
  archived?: boolean;
}

export interface DirectoryInput {
  q?: string;
  after?: string;
  limit?: number;
}

export const DIRECTORY_PAGE_DEFAULT = 50;
/** Member lists are returned whole up to this size (rooms are chat rooms, not mailing lists). */
export const MEMBER_LIST_MAX = 1000;

/**
 * Rooms and their memberships. Access is decided by RoomAccess before anything is read or changed;
 * membership changes go out as room.* domain events, which the realtime fan-out turns into socket
 * channel joins/leaves and events.
 */
@Injectable()
export class RoomsService {
  constructor(
    private readonly rooms: RoomsRepository,
    private readonly users: UsersRepository,
    private readonly access: RoomAccess,
    private readonly events: DomainEvents,
    @Optional() private readonly hooks: HookRunner = HookRunner.withoutPlugins(),
  ) {}

  async create(user: AuthUser, input: CreateRoomInput): Promise<RoomView> {
    const name = cleanName(input.name);
    await this.hooks.gate('room.beforeCreate', { user: toPluginUser(user), name });
    const room = await this.rooms.create({
      kind: input.kind,
      name,
      topic: input.topic?.trim() ?? '',
      createdBy: user.id,
    });
    this.events.emit('room.created', { room: toRoomView(room, null), actor: user });
    const membership = await this.rooms.addMember(room.id, user, 'owner');
    const created = { ...room, memberCount: 1 };
    if (membership) this.memberJoined(created, membership, 'created', user);
    return toRoomView(created, 'owner');
  }

  /** The caller's rooms with their role, most recently active first (every message or change bumps updatedAt). */
  async listMine(user: AuthUser): Promise<RoomView[]> {
    const memberships = await this.rooms.membershipsOf(user.id);
    const roleByRoom = new Map(memberships.map((m) => [m.roomId, m.role]));
    const rooms = await this.rooms.findByIds([...roleByRoom.keys()]);
    return rooms
      .sort((a, b) => b.updatedAt.getTime() - a.updatedAt.getTime() || b.id.localeCompare(a.id))
      .map((room) => toRoomView(room, roleByRoom.get(room.id) ?? null));
  }

  /** Public, unarchived rooms by name; `q` is a name prefix. */
  async directory(user: AuthUser, input: DirectoryInput): Promise<RoomDirectoryPage> {
    const limit = input.limit ?? DIRECTORY_PAGE_DEFAULT;
    const rows = await this.rooms.directory({
      prefix: input.q?.trim() || undefined,
      after: input.after ? decodeCursor(input.after) : undefined,
      limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    const mine = new Map((await this.rooms.membershipsOf(user.id)).map((m) => [m.roomId, m.role]));
    const last = page[page.length - 1];
    return {
      rooms: page.map((room) => toRoomView(room, mine.get(room.id) ?? null)),
      nextAfter: rows.length > limit && last ? encodeCursor(last) : null,
    };
  }

  async get(user: AuthUser, roomId: string): Promise<RoomView> {
    return this.access.require(user, roomId, 'room.read');
  }

  /** Joins a public room; joining one you are in already is a no-op. */
  async join(user: AuthUser, roomId: string): Promise<RoomView> {
    const { room, membership } = await this.access.grant(user, roomId, 'room.read');
    if (membership) return toRoomView(room, membership.role);
    assertRoomPermission(user, room, membership, 'room.join');
    await this.hooks.gate('room.beforeJoin', {
      user: toPluginUser(user),
      roomId: room.id,
      roomName: room.name,
    });
    const added = await this.rooms.addMember(room.id, user, 'member');
    const current = (await this.rooms.findById(room.id)) ?? room;
    if (added) this.memberJoined(current, added, 'joined', user);
    return toRoomView(current, added?.role ?? 'member');
  }

  /**
   * Leaves a room. An owner who leaves hands ownership to the longest-standing moderator (else member),
   * so a room is never left without one while it has members.
   */
  async leave(user: AuthUser, roomId: string): Promise<void> {
    const { room, membership } = await this.access.grant(user, roomId, 'room.read');
    if (!membership) throw new ConflictError('you are not a member of this room', 'roomId');
    if (room.kind === 'direct') throw new ForbiddenError('direct conversations cannot be left');
    if (!(await this.rooms.removeMember(room.id, user.id))) return;
    this.events.emit('room.member.left', { roomId: room.id, userId: user.id, reason: 'left', actor: user });
    if (membership.role === 'owner') await this.handOverOwnership(room.id, user);
  }

  async invite(user: AuthUser, roomId: string, userId: string): Promise<RoomMemberView> {
    const { room } = await this.access.grant(user, roomId, 'room.invite');
    const invitee = await this.users.findById(userId);
    if (!invitee || invitee.bannedAt) throw new NotFoundError('user', 'userId');
    const existing = await this.rooms.findMember(room.id, invitee.id);
    if (existing) return toMemberView(existing);
    const added = await this.rooms.addMember(room.id, invitee, 'member');
    if (!added) {
      const raced = await this.rooms.findMember(room.id, invitee.id);
      if (!raced) throw new NotFoundError('member', 'userId');
      return toMemberView(raced);
    }
    this.memberJoined((await this.rooms.findById(room.id)) ?? room, added, 'invited', user);
    return toMemberView(added);
  }

  /** Room moderators kick members; only owners (and global admins) kick moderators; nobody kicks an owner. */
  async kick(user: AuthUser, roomId: string, userId: string): Promise<void> {
    const { room, membership } = await this.access.grant(user, roomId, 'room.moderate');
    if (userId === user.id) throw new ValidationFailedError('use leave to leave a room', 'userId');
    const target = await this.rooms.findMember(room.id, userId);
    if (!target) throw new NotFoundError('member', 'userId');
    if (target.role === 'owner') throw new ForbiddenError('the room owner cannot be kicked');
    if (target.role === 'moderator' && membership?.role !== 'owner' && user.role !== 'admin') {
      throw new ForbiddenError('only the room owner may kick a moderator');
    }
    if (!(await this.rooms.removeMember(room.id, userId))) return;
    this.events.emit('room.member.left', { roomId: room.id, userId, reason: 'kicked', actor: user });
  }

  /** Rename and archive need room.manage; the topic, room.moderate. */
  async update(user: AuthUser, roomId: string, input: UpdateRoomInput): Promise<RoomView> {
    const { room, membership } = await this.access.grant(user, roomId, 'room.read');
    const changes: { name?: string; topic?: string; archivedAt?: Date | null } = {};
    if (input.name !== undefined || input.archived !== undefined) {
      assertRoomPermission(user, room, membership, 'room.manage');
    }
    if (input.archived !== undefined && input.archived !== (room.archivedAt !== null)) {
      changes.archivedAt = input.archived ? new Date() : null;
    }
    if (input.name !== undefined) changes.name = cleanName(input.name);
    if (input.topic !== undefined) {
      // Reopening and changing the topic in one call is allowed: check against the room as it will be.
      const after = {
        ...room,
        archivedAt: changes.archivedAt !== undefined ? changes.archivedAt : room.archivedAt,
      };
      assertRoomPermission(user, after, membership, 'room.moderate');
      changes.topic = input.topic.trim();
    }
    if (Object.keys(changes).length === 0) return toRoomView(room, membership?.role ?? null);
    const updated = await this.rooms.update(room.id, changes);
    if (!updated) throw new NotFoundError('room', 'roomId');
    this.events.emit('room.updated', { room: toRoomView(updated, null), actor: user });
    return toRoomView(updated, membership?.role ?? null);
  }

  async setRole(user: AuthUser, roomId: string, userId: string, role: RoomRole): Promise<RoomMemberView> {
    const { room } = await this.access.grant(user, roomId, 'room.manage');
    if (userId === user.id && user.role !== 'admin') {
      throw new ValidationFailedError('you cannot change your own room role', 'userId');
    }
    const target = await this.rooms.findMember(room.id, userId);
    if (!target) throw new NotFoundError('member', 'userId');
    if (target.role === role) return toMemberView(target);
    const updated = await this.rooms.setMemberRole(room.id, userId, role);
    if (!updated) throw new NotFoundError('member', 'userId');
    const current = (await this.rooms.findById(room.id)) ?? room;
    // Re-announce the membership so every device of the member and the room see the new role.
    this.memberJoined(current, updated, 'role_changed', user);
    return toMemberView(updated);
  }

  /** Deletes the room, its memberships and (through room.deleted) its messages. */
  async delete(user: AuthUser, roomId: string): Promise<void> {
    const { room } = await this.access.grant(user, roomId, 'room.manage');
    if (!(await this.rooms.delete(room.id))) throw new NotFoundError('room', 'roomId');
    this.events.emit('room.deleted', { roomId: room.id, actor: user });
  }

  async members(user: AuthUser, roomId: string): Promise<RoomMemberView[]> {
    const room = await this.access.require(user, roomId, 'room.read');
    return (await this.rooms.membersOf(room.id, MEMBER_LIST_MAX)).map(toMemberView);
  }

  /** The one direct room of the caller and `userId`, created (with both as members) on first use. */
  async openDirect(user: AuthUser, userId: string): Promise<RoomView> {
    if (userId === user.id)
      throw new ValidationFailedError('a direct conversation needs another user', 'userId');
    const other = await this.users.findById(userId);
    if (!other || other.bannedAt) throw new NotFoundError('user', 'userId');
    const pair: [string, string] = [user.id, other.id];
    let room = await this.rooms.findDirect(pair);
    if (!room) {
      try {
        const [first, second] = [user.username, other.username].sort();
        room = await this.rooms.create({
          kind: 'direct',
          name: `${first}, ${second}`,
          topic: '',
          createdBy: user.id,
          directUserIds: pair,
        });
        this.events.emit('room.created', { room: toRoomView(room, null), actor: user });
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        room = await this.rooms.findDirect(pair);
        if (!room) throw err;
      }
    }
    // Both memberships are (re)ensured, so a half-created pair from a crash heals on the next open.
    for (const participant of [user, { id: other.id, username: other.username }]) {
      const added = await this.rooms.addMember(room.id, participant, 'member');
      if (added) {
        room = (await this.rooms.findById(room.id)) ?? room;
        this.memberJoined(room, added, 'direct', user);
      }
    }
    return toRoomView(room, 'member');
  }

  private memberJoined(
    room: RoomRecord,
    membership: MembershipRecord,
    via: RoomMemberJoinedEvent['via'],
    actor: AuthUser,
  ): void {
    this.events.emit('room.member.joined', {
      room: toRoomView(room, membership.role),
      member: toMemberView(membership),
      via,
      actor,
    });
  }

  private async handOverOwnership(roomId: string, actor: AuthUser): Promise<void> {
    const remaining = await this.rooms.membersOf(roomId, MEMBER_LIST_MAX);
    if (remaining.some((m) => m.role === 'owner')) return;
    const heir = remaining.find((m) => m.role === 'moderator') ?? remaining[0];
    if (!heir) return;
    const promoted = await this.rooms.setMemberRole(roomId, heir.userId, 'owner');
    const room = await this.rooms.findById(roomId);
    if (promoted && room) this.memberJoined(room, promoted, 'role_changed', actor);
  }
}

function cleanName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length === 0) throw new ValidationFailedError('name must not be blank', 'name');
  return trimmed;
}

function toMemberView(m: MembershipRecord): RoomMemberView {
  return { userId: m.userId, username: m.username, role: m.role, joinedAt: m.joinedAt.toISOString() };
}

/** Directory cursors are opaque to clients: base64url of `nameLower \0 id`. */
function encodeCursor(room: RoomRecord): string {
  return Buffer.from(`${room.name.toLowerCase()}\u0000${room.id}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): { nameLower: string; id: string } {
  const [nameLower, id, ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split('\u0000');
  if (nameLower === undefined || !id || rest.length > 0 || !/^[0-9a-f]{24}$/.test(id)) {
    throw new ValidationFailedError('after is not a cursor from a previous page', 'after');
  }
  return { nameLower, id };
}
