import { LRUCache } from 'lru-cache';
import { AuthUser } from './auth-user';

/** What AuthService found for a session: the account as the session authenticates it, until when. */
export interface AuthenticatedSession {
  user: AuthUser;
  /** The session's end (ms since the epoch). */
  expiresAt: number;
  /** The auth state version read before the session and the account were (AuthStateVersionRepository). */
  version: number;
}

/** Sessions kept per node (an entry is about 300 bytes; the least recently used go first). */
export const AUTHENTICATED_SESSION_CACHE_MAX = 50_000;

/**
 * Sessions (with their account) this node has authenticated, so that a check of an access token whose
 * session it has seen needs no session or account read. An entry counts only while the auth state
 * version still reads what was read before the entry was filled: any revocation, ban, role or password
 * change anywhere bumps that version after its write, so the next check on every node reads afresh.
 * The AuthUser objects are shared by every socket of the session (they are never mutated).
 */
export class AuthenticatedSessionCache {
  private readonly entries: LRUCache<string, AuthenticatedSession>;

  constructor(max = AUTHENTICATED_SESSION_CACHE_MAX) {
    this.entries = new LRUCache({ max });
  }

  get size(): number {
    return this.entries.size;
  }

  /** The session's user if an entry for this user, read at `version`, is there and the session is not over. */
  get(sessionId: string, userId: string, version: number, now = Date.now()): AuthUser | undefined {
    const entry = this.entries.get(sessionId);
    if (!entry) return undefined;
    if (entry.version !== version || entry.expiresAt <= now || entry.user.id !== userId) {
      if (entry.version <= version) this.entries.delete(sessionId);
      return undefined;
    }
    return entry.user;
  }

  /** Keeps the entry unless one read at a later version is there already (fills can finish out of order). */
  set(sessionId: string, entry: AuthenticatedSession): void {
    const current = this.entries.get(sessionId);
    if (current && current.version > entry.version) return;
    this.entries.set(sessionId, entry);
  }
}
