/** Global account roles. Room roles (owner/moderator/member) live in rooms/. */
export type Role = 'admin' | 'moderator' | 'member';
export const ROLES: readonly Role[] = ['admin', 'moderator', 'member'];

/** The authenticated principal, the same for HTTP requests and socket connections. */
export interface AuthUser {
  id: string;
  username: string;
  role: Role;
  /** The refresh-token family / login session this access token belongs to. */
  sessionId: string;
}
