/** The error body every Palaver endpoint returns on failure. */
export interface ApiErrorBody {
  error: { code: string; message: string; field?: string; retryAfterMs?: number };
}

/** A failed HTTP call: status plus the server's `{ error: { code, message, field } }`. */
export class PalaverApiError extends Error {
  override name = 'PalaverApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

export interface TokenSet {
  accessToken: string;
  accessTokenExpiresAt: string;
  refreshToken: string;
  refreshTokenExpiresAt: string;
}

export type QueryValue = string | number | boolean | undefined | null;

export interface RequestOptions {
  /** JSON-serialised unless it is already a string, Buffer, Blob, stream or FormData (`rawBody`). */
  body?: unknown;
  rawBody?: RequestInit['body'];
  query?: Record<string, QueryValue>;
  headers?: Record<string, string>;
  /** Send the access token (default true); a 401 then triggers one refresh and one retry. */
  auth?: boolean;
  signal?: AbortSignal;
}

export interface HttpTransportOptions {
  /** Where Palaver runs, e.g. http://localhost:3000 */
  baseUrl: string;
  /** The REST prefix (default /api). */
  apiPrefix?: string;
  fetch?: typeof fetch;
  /** Called whenever tokens change (null after logout or a failed refresh), e.g. to persist them. */
  onTokens?: (tokens: TokenSet | null) => void;
}

/**
 * fetch with Palaver's conventions: JSON bodies, bearer token, typed errors, and one automatic token
 * refresh when a request gets 401. Concurrent 401s share a single refresh call.
 */
export class HttpTransport {
  readonly baseUrl: string;
  readonly apiPrefix: string;
  private readonly fetchImpl: typeof fetch;
  private tokens: TokenSet | null = null;
  private refreshing: Promise<TokenSet> | null = null;

  constructor(private readonly options: HttpTransportOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.apiPrefix = options.apiPrefix ?? '/api';
    this.fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  get accessToken(): string | null {
    return this.tokens?.accessToken ?? null;
  }

  get currentTokens(): TokenSet | null {
    return this.tokens;
  }

  setTokens(tokens: TokenSet | null): void {
    this.tokens = tokens
      ? {
          accessToken: tokens.accessToken,
          accessTokenExpiresAt: tokens.accessTokenExpiresAt,
          refreshToken: tokens.refreshToken,
          refreshTokenExpiresAt: tokens.refreshTokenExpiresAt,
        }
      : null;
    this.options.onTokens?.(this.tokens);
  }

  /** Full URL of an API path (`/users/me` → http://host/api/users/me?...). */
  url(path: string, query?: Record<string, QueryValue>): string {
    const url = new URL(`${this.baseUrl}${this.apiPrefix}${path}`);
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined && value !== null) url.searchParams.set(key, String(value));
    }
    return url.toString();
  }

  /** JSON request; resolves to the parsed body (undefined for 204). */
  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const res = await this.send(method, path, options);
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** Like request() but returns the successful Response itself (streams, downloads, uploads). */
  async send(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const useAuth = options.auth ?? true;
    let res = await this.attempt(method, path, options, useAuth);
    // A streamed body is consumed by the first attempt and cannot be sent again: refresh, then let the
    // caller retry with a fresh stream.
    const replayable = !(options.rawBody instanceof ReadableStream);
    if (res.status === 401 && useAuth && this.tokens?.refreshToken && replayable) {
      await res.body?.cancel().catch(() => undefined);
      await this.refresh();
      res = await this.attempt(method, path, options, useAuth);
    } else if (res.status === 401 && useAuth && this.tokens?.refreshToken) {
      const err = await toApiError(res);
      await this.refresh();
      throw err;
    }
    if (!res.ok) throw await toApiError(res);
    return res;
  }

  /** Trades the refresh token for a new pair (single-flight); clears the tokens if that fails. */
  refresh(): Promise<TokenSet> {
    this.refreshing ??= this.doRefresh().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async doRefresh(): Promise<TokenSet> {
    const refreshToken = this.tokens?.refreshToken;
    if (!refreshToken) throw new PalaverApiError(401, 'unauthorized', 'not logged in');
    const res = await this.attempt('POST', '/auth/refresh', { body: { refreshToken } }, false);
    if (!res.ok) {
      const err = await toApiError(res);
      if (res.status === 401) this.setTokens(null);
      throw err;
    }
    const tokens = (await res.json()) as TokenSet;
    this.setTokens(tokens);
    return tokens;
  }

  private attempt(
    method: string,
    path: string,
    options: RequestOptions,
    useAuth: boolean,
  ): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    let body: RequestInit['body'] | undefined = options.rawBody;
    if (body === undefined && options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    if (useAuth && this.tokens) headers.authorization = `Bearer ${this.tokens.accessToken}`;
    return this.fetchImpl(this.url(path, options.query), {
      method,
      headers,
      body,
      signal: options.signal,
      ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
    } as RequestInit);
  }
}

async function toApiError(res: Response): Promise<PalaverApiError> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as Partial<ApiErrorBody>;
    if (body.error && typeof body.error.code === 'string') {
      const { code, message, field, retryAfterMs } = body.error;
      return new PalaverApiError(res.status, code, message ?? res.statusText, field, retryAfterMs);
    }
  } catch {
    /* not JSON: fall through */
  }
  return new PalaverApiError(res.status, 'http_error', text.slice(0, 200) || res.statusText);
}
