import type { RoomMemberView } from '@palaver/client';
import { AuthUser } from '../auth/auth-user';
import { RoomView } from './room.entity';

export interface RoomChangedEvent {
  /** The room-wide view (myRole null). */
  room: RoomView;
  actor: AuthUser;
}

export interface RoomDeletedEvent {
  roomId: string;
  actor: AuthUser;
}

export interface RoomMemberJoinedEvent {
  /** The room as the new member sees it (myRole = their role). */
  room: RoomView;
  member: RoomMemberView;
  via: 'created' | 'joined' | 'invited' | 'direct' | 'role_changed';
  actor: AuthUser;
}

export interface RoomMemberLeftEvent {
  roomId: string;
  userId: string;
  reason: 'left' | 'kicked';
  actor: AuthUser;
}

declare module '../common/domain-events' {
  interface DomainEventMap {
    'room.created': RoomChangedEvent;
    'room.updated': RoomChangedEvent;
    'room.deleted': RoomDeletedEvent;
    'room.member.joined': RoomMemberJoinedEvent;
    'room.member.left': RoomMemberLeftEvent;
  }
}
