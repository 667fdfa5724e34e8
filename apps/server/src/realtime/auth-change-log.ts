/** A change to who a session is, as announced on the cluster bus (a revocation or a role change). */
export interface AuthChange {
  userId: string;
  /** Absent: every session of the user. */
  sessionId?: string;
}

/** Changes remembered per node: far more than arrive while one handshake is in progress. */
export const AUTH_CHANGE_LOG_SIZE = 256;

/**
 * The auth changes this node has heard of, numbered in arrival order. A handshake notes the position
 * before it authenticates; once its socket is connected (from then on a notice finds it among the live
 * sockets) it asks whether a change heard meanwhile may concern its session. Such a change reached the
 * node while the socket was neither checked against it nor findable by it.
 */
export class AuthChangeLog {
  private heard = 0;
  private readonly recent: (AuthChange & { position: number })[] = [];

  constructor(private readonly size = AUTH_CHANGE_LOG_SIZE) {}

  /** How many changes were heard so far. */
  get position(): number {
    return this.heard;
  }

  record(change: AuthChange): void {
    this.heard += 1;
    this.recent.push({ userId: change.userId, sessionId: change.sessionId, position: this.heard });
    if (this.recent.length > this.size) this.recent.shift();
  }

  /**
   * True when a change heard after `position` names this user (all sessions, or this one), or when
   * changes heard since are no longer all remembered.
   */
  concernsSince(position: number, userId: string, sessionId: string): boolean {
    if (position === this.heard) return false;
    const oldest = this.recent[0]?.position ?? this.heard + 1;
    if (oldest > position + 1) return true;
    for (let i = this.recent.length - 1; i >= 0 && this.recent[i]!.position > position; i--) {
      const change = this.recent[i]!;
      if (change.userId === userId && (change.sessionId === undefined || change.sessionId === sessionId)) {
        return true;
      }
    }
    return false;
  }
}
