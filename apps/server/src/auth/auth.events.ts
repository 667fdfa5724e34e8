import type { Role } from './auth-user';

/**
 * Cross-node auth notices. `auth.revoked` goes out when a session (or every session of a user) stops
 * being valid: logout, password change, ban. The realtime gateway disconnects the matching live sockets.
 */
export interface AuthRevokedNotice {
  userId: string;
  /** Absent: every session of the user. */
  sessionId?: string;
  reason: 'logout' | 'password_changed' | 'banned' | 'refresh_reuse' | 'deleted';
}

/**
 * An account's role changed: the realtime gateway of every node re-reads it for the user's live sockets
 * (an access token's role is checked afresh on every HTTP request already).
 */
export interface AuthRoleChangedNotice {
  userId: string;
}

declare module '../cluster/cluster-bus' {
  interface BusChannels {
    'auth.revoked': AuthRevokedNotice;
    'auth.role-changed': AuthRoleChangedNotice;
  }
}

export interface UserBannedEvent {
  userId: string;
  by: string;
}

export interface UserRoleChangedEvent {
  userId: string;
  role: Role;
  by: string;
}

declare module '../common/domain-events' {
  interface DomainEventMap {
    'user.banned': UserBannedEvent;
    'user.role.changed': UserRoleChangedEvent;
  }
}
