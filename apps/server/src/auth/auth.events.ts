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

declare module '../cluster/cluster-bus' {
  interface BusChannels {
    'auth.revoked': AuthRevokedNotice;
  }
}

export interface UserBannedEvent {
  userId: string;
  by: string;
}

declare module '../common/domain-events' {
  interface DomainEventMap {
    'user.banned': UserBannedEvent;
  }
}
