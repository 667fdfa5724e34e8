import { AuthResult, UserView, UsersApi } from './accounts';
import { AdminStatsApi } from './admin-stats';
import { HttpTransport, HttpTransportOptions, TokenSet } from './http';
import { MediaApi } from './media';
import { PluginsApi } from './plugins';
import { MessagesApi, RoomsApi } from './rooms';
import { SocketConnection, SocketConnectionOptions } from './socket';

export type PalaverClientOptions = HttpTransportOptions & { socket?: SocketConnectionOptions };

/**
 * The Palaver client: one object per logged-in user, composed of parts that share the HTTP transport
 * (tokens, auto-refresh): accounts and users here; rooms, messages and the Socket.IO connection are
 * added beside them (see socket.ts).
 */
export class PalaverClient {
  readonly http: HttpTransport;
  readonly users: UsersApi;
  readonly rooms: RoomsApi;
  readonly messages: MessagesApi;
  /** Signed media links for `<video src>` / `<img src>`. */
  readonly media: MediaApi;
  /** Plugin administration (admins) and plugins' own routes. */
  readonly plugins: PluginsApi;
  /** Database figures for the admin console (admins). */
  readonly admin: AdminStatsApi;
  /** The Socket.IO connection (not opened until `socket.connect()`). */
  readonly socket: SocketConnection;
  /** The account after register/login/refresh/me; null when logged out. */
  user: UserView | null = null;

  constructor(options: PalaverClientOptions | string) {
    const opts = typeof options === 'string' ? { baseUrl: options } : options;
    this.http = new HttpTransport(opts);
    this.users = new UsersApi(this.http);
    this.rooms = new RoomsApi(this.http);
    this.messages = new MessagesApi(this.http);
    this.media = new MediaApi(this.http);
    this.plugins = new PluginsApi(this.http);
    this.admin = new AdminStatsApi(this.http);
    this.socket = new SocketConnection(this.http, opts.socket);
  }

  get baseUrl(): string {
    return this.http.baseUrl;
  }

  /** The current access token (for the Socket.IO handshake); null when logged out. */
  get accessToken(): string | null {
    return this.http.accessToken;
  }

  async register(username: string, password: string, displayName?: string): Promise<AuthResult> {
    return this.adopt(
      await this.http.request<AuthResult>('POST', '/auth/register', {
        body: { username, password, ...(displayName ? { displayName } : {}) },
        auth: false,
      }),
    );
  }

  async login(username: string, password: string): Promise<AuthResult> {
    return this.adopt(
      await this.http.request<AuthResult>('POST', '/auth/login', {
        body: { username, password },
        auth: false,
      }),
    );
  }

  /** Resume a stored session (e.g. from localStorage); call refresh() or me() to check it. */
  useTokens(tokens: TokenSet): void {
    this.http.setTokens(tokens);
  }

  /** Rotates the refresh token now (normally automatic on a 401). */
  async refresh(): Promise<TokenSet> {
    return this.http.refresh();
  }

  /** Ends this session on the server (its sockets are disconnected) and forgets the tokens. */
  async logout(): Promise<void> {
    try {
      if (this.http.accessToken) await this.http.request('POST', '/auth/logout');
    } finally {
      this.http.setTokens(null);
      this.user = null;
    }
  }

  async me(): Promise<UserView> {
    this.user = await this.http.request<UserView>('GET', '/auth/me');
    return this.user;
  }

  /** Every session of the account ends (other devices are logged out); this client gets a new one. */
  async changePassword(currentPassword: string, newPassword: string): Promise<AuthResult> {
    return this.adopt(
      await this.http.request<AuthResult>('POST', '/auth/change-password', {
        body: { currentPassword, newPassword },
      }),
    );
  }

  private adopt(result: AuthResult): AuthResult {
    this.http.setTokens(result);
    this.user = result.user;
    return result;
  }
}
