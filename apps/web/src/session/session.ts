import { PalaverClient, TokenSet } from '@palaver/client';

const TOKENS_KEY = 'palaver.tokens';
const REFRESH_LOCK = 'palaver.refresh';

export function loadTokens(): TokenSet | null {
  try {
    const raw = localStorage.getItem(TOKENS_KEY);
    return raw ? (JSON.parse(raw) as TokenSet) : null;
  } catch {
    return null;
  }
}

function saveTokens(tokens: TokenSet | null): void {
  try {
    if (tokens) localStorage.setItem(TOKENS_KEY, JSON.stringify(tokens));
    else localStorage.removeItem(TOKENS_KEY);
  } catch {
    /* storage full or disabled: the session lasts as long as the tab */
  }
}

/** Runs `task` while holding a lock shared by every tab of this origin (when the browser has Web Locks). */
function withRefreshLock<T>(task: () => Promise<T>): Promise<T> {
  const locks = (navigator as Navigator & { locks?: LockManager }).locks;
  return locks ? (locks.request(REFRESH_LOCK, task) as Promise<T>) : task();
}

/**
 * fetch for the SDK. Refresh tokens are single use and a reused one ends the whole session, yet every tab
 * of the app shares one session through localStorage. So refreshes are serialised across tabs, and a tab
 * whose refresh token another tab has already spent adopts the stored successor instead of presenting it.
 */
function crossTabFetch(): typeof fetch {
  const base = globalThis.fetch.bind(globalThis);
  return async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (init?.method !== 'POST' || !url.endsWith('/api/auth/refresh') || typeof init.body !== 'string') {
      return base(input, init);
    }
    const presented = (JSON.parse(init.body) as { refreshToken?: string }).refreshToken;
    return withRefreshLock(async () => {
      const stored = loadTokens();
      if (stored && stored.refreshToken !== presented) {
        return new Response(JSON.stringify(stored), {
          status: 200,
          headers: { 'content-type': 'application/json' },
        });
      }
      const res = await base(input, init);
      if (!res.ok) return res;
      // Stored before the lock is released, so the next tab in line sees the successor.
      const body = await res.text();
      saveTokens(JSON.parse(body) as TokenSet);
      return new Response(body, { status: res.status, headers: res.headers });
    });
  };
}

export interface Session {
  client: PalaverClient;
  /** Called when the tokens disappear without a local logout (expired session, another tab logged out). */
  onLost(listener: () => void): () => void;
}

/** The app's one PalaverClient, on this page's origin, with tokens kept in localStorage. */
export function createSession(): Session {
  const lostListeners = new Set<() => void>();
  const client = new PalaverClient({
    baseUrl: window.location.origin,
    fetch: crossTabFetch(),
    onTokens: (tokens) => {
      saveTokens(tokens);
      if (!tokens) for (const listener of lostListeners) listener();
    },
  });
  const stored = loadTokens();
  if (stored) client.http.setTokens(stored);
  window.addEventListener('storage', (event) => {
    if (event.key !== TOKENS_KEY) return;
    const next = loadTokens();
    if (!next) {
      if (client.accessToken) client.http.setTokens(null);
    } else if (next.refreshToken !== client.http.currentTokens?.refreshToken) {
      client.http.setTokens(next);
    }
  });
  return {
    client,
    onLost(listener) {
      lostListeners.add(listener);
      return () => void lostListeners.delete(listener);
    },
  };
}
