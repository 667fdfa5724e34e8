import type { RoomKind, RoomRole, RoomView } from '@palaver/client';

export type { RoomKind, RoomRole, RoomView };

/**
 * What a user may do in a room. RoomAccess.require() is the one place these are decided:
 * - `room.read`      see the room and its history (public rooms: anyone; private/direct: members)
 * - `room.join`      become a member on one's own (public rooms only)
 * - `room.post`      send messages, edit one's own (members; not in archived rooms)
 * - `room.invite`    add another user (public: members; private: owner/moderators)
 * - `room.moderate`  delete others' messages, kick (room owner/moderators, global admins)
 * - `room.manage`    rename, topic, archive, delete, change roles (room owner, global admins)
 * - `media.upload`   upload files into the room (same as `room.post`)
 */
export type RoomPermission =
  'room.read' | 'room.join' | 'room.post' | 'room.invite' | 'room.moderate' | 'room.manage' | 'media.upload';

export const ROOM_PERMISSIONS: readonly RoomPermission[] = [
  'room.read',
  'room.join',
  'room.post',
  'room.invite',
  'room.moderate',
  'room.manage',
  'media.upload',
];

export const ROOM_ROLES: readonly RoomRole[] = ['owner', 'moderator', 'member'];

/** A stored room as a plain object (what RoomsRepository returns). */
export interface RoomRecord {
  id: string;
  kind: RoomKind;
  name: string;
  topic: string;
  archivedAt: Date | null;
  /** Sorted participant ids of a direct room (`a:b` is its unique key); empty otherwise. */
  directUserIds: string[];
  memberCount: number;
  lastSeq: number;
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * The part of a room that access decisions read, with its access version (bumped after every membership
 * or archive change; see RoomDocument.accessVersion).
 */
export interface RoomAccessState {
  id: string;
  kind: RoomKind;
  archivedAt: Date | null;
  accessVersion: number;
}

/** One user's membership in one room. */
export interface MembershipRecord {
  roomId: string;
  userId: string;
  username: string;
  role: RoomRole;
  joinedAt: Date;
}

export function toRoomView(room: RoomRecord, myRole: RoomRole | null): RoomView {
  return {
    id: room.id,
    kind: room.kind,
    name: room.name,
    topic: room.topic,
    archived: room.archivedAt !== null,
    directUserIds: [...room.directUserIds],
    memberCount: room.memberCount,
    lastSeq: room.lastSeq,
    myRole,
    createdAt: room.createdAt.toISOString(),
  };
}
