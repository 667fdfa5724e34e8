import { HttpTransport, TokenSet } from './http';

export type Role = 'admin' | 'moderator' | 'member';

export interface UserView {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  banned: boolean;
  createdAt: string;
}

/** What register, login, refresh and changePassword return. */
export interface AuthResult extends TokenSet {
  user: UserView;
}

export interface UserPage {
  items: UserView[];
  nextCursor: string | null;
}

/** /api/users: the directory, profiles, and admin actions (ban, role, create). */
export class UsersApi {
  constructor(private readonly http: HttpTransport) {}

  me(): Promise<UserView> {
    return this.http.request('GET', '/users/me');
  }

  updateMe(changes: { displayName: string }): Promise<UserView> {
    return this.http.request('PATCH', '/users/me', { body: changes });
  }

  get(id: string): Promise<UserView> {
    return this.http.request('GET', `/users/${encodeURIComponent(id)}`);
  }

  getByUsername(username: string): Promise<UserView> {
    return this.http.request('GET', `/users/by-username/${encodeURIComponent(username)}`);
  }

  /** Ordered by username; `q` is a case-insensitive username prefix. */
  list(query: { q?: string; cursor?: string; limit?: number } = {}): Promise<UserPage> {
    return this.http.request('GET', '/users', { query });
  }

  /** Admin: create an account (works while registration is closed). */
  create(input: {
    username: string;
    password: string;
    displayName?: string;
    role?: Role;
  }): Promise<UserView> {
    return this.http.request('POST', '/users', { body: input });
  }

  /** Admin or moderator: ends the user's sessions and disconnects their sockets. */
  ban(id: string, reason?: string): Promise<UserView> {
    return this.http.request('POST', `/users/${encodeURIComponent(id)}/ban`, {
      body: reason ? { reason } : {},
    });
  }

  unban(id: string): Promise<UserView> {
    return this.http.request('DELETE', `/users/${encodeURIComponent(id)}/ban`);
  }

  /** Admin only. */
  setRole(id: string, role: Role): Promise<UserView> {
    return this.http.request('PUT', `/users/${encodeURIComponent(id)}/role`, { body: { role } });
  }
}
