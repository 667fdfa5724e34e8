import { PalaverClient, type Role, type TokenSet, type UserView } from '@palaver/client';
import { useQueryClient } from '@tanstack/react-query';
import { createContext, useContext, useEffect, useState, useSyncExternalStore, type ReactNode } from 'react';

const TOKENS_KEY = 'palaver.admin.tokens';

/** Global roles that may use the console; members are turned away at login. */
const CONSOLE_ROLES: readonly Role[] = ['admin', 'moderator'];

export class NoConsoleAccessError extends Error {}

export interface SessionState {
  /** The logged-in admin or moderator; null on the login page. */
  user: UserView | null;
  /** False until a stored session has been checked. */
  ready: boolean;
  /** Why the user is back on the login page (expired session), if anything. */
  notice: string | null;
}

/**
 * One PalaverClient for the tab. Tokens live in sessionStorage (a reload keeps the session, closing the
 * tab ends it); the SDK refreshes an expired access token on the first 401 and rotates the refresh token.
 * When the refresh itself fails the SDK drops the tokens, and the console returns to the login page.
 */
export class ConsoleSession {
  readonly client: PalaverClient;
  private state: SessionState = { user: null, ready: false, notice: null };
  private readonly listeners = new Set<() => void>();
  /** Tokens dropped on purpose (logout, refused role) are not an expired session. */
  private leaving = false;

  constructor(baseUrl: string) {
    this.client = new PalaverClient({ baseUrl, onTokens: (tokens) => this.tokensChanged(tokens) });
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  snapshot = (): SessionState => this.state;

  /** Resumes the session stored in this tab, if it is still valid. */
  async restore(): Promise<void> {
    const tokens = readStoredTokens();
    if (tokens) {
      this.client.useTokens(tokens);
      try {
        await this.admit(await this.client.me());
      } catch {
        await this.leave();
      }
    }
    this.update({ ready: true });
  }

  async login(username: string, password: string): Promise<void> {
    const result = await this.client.login(username, password);
    await this.admit(result.user);
  }

  async logout(): Promise<void> {
    await this.leave();
    this.update({ user: null, notice: null });
  }

  private async admit(account: UserView): Promise<void> {
    if (!CONSOLE_ROLES.includes(account.role)) {
      await this.leave();
      throw new NoConsoleAccessError(
        `The account ${account.username} is a ${account.role}: the admin console is for admins and moderators.`,
      );
    }
    this.update({ user: account, notice: null });
  }

  private async leave(): Promise<void> {
    this.leaving = true;
    try {
      await this.client.logout().catch(() => undefined);
    } finally {
      this.leaving = false;
    }
  }

  private tokensChanged(tokens: TokenSet | null): void {
    if (tokens) {
      sessionStorage.setItem(TOKENS_KEY, JSON.stringify(tokens));
      return;
    }
    sessionStorage.removeItem(TOKENS_KEY);
    if (!this.leaving && this.state.user) {
      this.update({ user: null, notice: 'Your session has expired. Log in again.' });
    }
  }

  private update(change: Partial<SessionState>): void {
    this.state = { ...this.state, ...change };
    for (const listener of this.listeners) listener();
  }
}

function readStoredTokens(): TokenSet | null {
  try {
    const raw = sessionStorage.getItem(TOKENS_KEY);
    return raw ? (JSON.parse(raw) as TokenSet) : null;
  } catch {
    return null;
  }
}

export interface Session extends SessionState {
  client: PalaverClient;
  login(username: string, password: string): Promise<void>;
  logout(): Promise<void>;
}

const SessionContext = createContext<ConsoleSession | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [session] = useState(() => new ConsoleSession(window.location.origin));
  useEffect(() => {
    void session.restore();
  }, [session]);
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside SessionProvider');
  const state = useSyncExternalStore(session.subscribe, session.snapshot);
  const queryClient = useQueryClient();
  return {
    ...state,
    client: session.client,
    login: (username, password) => session.login(username, password),
    logout: async () => {
      await session.logout();
      // Nothing fetched for one account may be shown to the next.
      queryClient.clear();
    },
  };
}

/** The logged-in console user (pages below the login gate). */
export function useConsoleUser(): { client: PalaverClient; user: UserView; isAdmin: boolean } {
  const { client, user } = useSession();
  if (!user) throw new Error('useConsoleUser without a logged-in user');
  return { client, user, isAdmin: user.role === 'admin' };
}
