import { io, Socket } from 'socket.io-client';
import { HttpTransport } from './http';
import {
  ClientAckResult,
  ClientEventName,
  ClientPayload,
  ClientToServerEvents,
  CreateRoomPayload,
  HistoryPayload,
  isErrorAck,
  MessageHistoryPage,
  MessageView,
  RoomMemberView,
  RoomView,
  SendMessageAck,
  ServerEventName,
  ServerPayload,
  ServerToClientEvents,
} from './protocol';
import { newClientMessageId } from './ids';

/** A failed socket request: the server's error ack, or `timeout` / `disconnected` on this side. */
export class PalaverSocketError extends Error {
  override name = 'PalaverSocketError';
  constructor(
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

export interface SocketConnectionOptions {
  /** How long one request waits for its ack (default 10 s). */
  ackTimeoutMs?: number;
  /** Extra attempts of `send` after a timeout, with the same clientMessageId (default 2). */
  sendRetries?: number;
  /** How long connect() waits for the first connection (default 10 s). */
  connectTimeoutMs?: number;
  /** Reconnect automatically after network drops (default true). */
  reconnection?: boolean;
}

export interface SendOptions {
  /** Reuse to make a send idempotent across your own retries; generated when absent. */
  clientMessageId?: string;
}

type RawSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/**
 * The Socket.IO half of the client. The handshake carries the current access token; when the server
 * refuses it as expired, the token is refreshed once through the HTTP transport and the connection
 * retried. Requests are `emitWithAck` with a timeout; `send` retries timeouts with the same
 * clientMessageId, so the server stores the message once whatever happens to the acks.
 */
export class SocketConnection {
  readonly io: RawSocket;
  private readonly ackTimeoutMs: number;
  private readonly sendRetries: number;
  private readonly connectTimeoutMs: number;
  /** connect() calls waiting to hear that the server refused the handshake for good. */
  private readonly failedListeners = new Set<(err: PalaverSocketError) => void>();
  private refreshedForThisAttempt = false;

  constructor(
    private readonly http: HttpTransport,
    options: SocketConnectionOptions = {},
  ) {
    this.ackTimeoutMs = options.ackTimeoutMs ?? 10_000;
    this.sendRetries = options.sendRetries ?? 2;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.io = io(http.baseUrl, {
      autoConnect: false,
      transports: ['websocket'],
      reconnection: options.reconnection ?? true,
      // A function, so every (re)connection attempt presents the token current at that moment.
      auth: (cb) => cb({ token: this.http.accessToken ?? '' }),
    });
    this.io.on('connect_error', (err) => void this.onConnectError(err));
    this.io.on('connect', () => {
      this.refreshedForThisAttempt = false;
    });
  }

  get connected(): boolean {
    return this.io.connected;
  }

  get id(): string | undefined {
    return this.io.id;
  }

  /** Opens the connection; resolves once connected, rejects if the server refuses or it takes too long. */
  connect(): Promise<void> {
    if (this.io.connected) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => finish(new PalaverSocketError('timeout', 'could not connect in time')),
        this.connectTimeoutMs,
      );
      const onConnect = () => finish();
      const onFailed = (err: PalaverSocketError) => finish(err);
      const finish = (err?: PalaverSocketError) => {
        clearTimeout(timer);
        this.io.off('connect', onConnect);
        this.failedListeners.delete(onFailed);
        if (err) reject(err);
        else resolve();
      };
      this.io.on('connect', onConnect);
      this.failedListeners.add(onFailed);
      this.io.connect();
    });
  }

  disconnect(): void {
    this.io.disconnect();
  }

  /** Subscribes to a server event; returns the unsubscribe function. */
  on<E extends ServerEventName>(event: E, handler: (payload: ServerPayload<E>) => void): () => void {
    const listener = handler as never;
    this.io.on(event, listener);
    return () => void this.io.off(event, listener);
  }

  /** Sends a client event and resolves with its ack, or rejects with PalaverSocketError. */
  async request<E extends ClientEventName>(
    event: E,
    payload: ClientPayload<E>,
    timeoutMs = this.ackTimeoutMs,
  ): Promise<ClientAckResult<E>> {
    let res: unknown;
    try {
      const timed = this.io.timeout(timeoutMs) as unknown as {
        emitWithAck(ev: E, p: ClientPayload<E>): Promise<unknown>;
      };
      res = await timed.emitWithAck(event, payload);
    } catch {
      // emitWithAck rejects only when the ack does not come in time.
      throw new PalaverSocketError('timeout', `no ack for ${event} within ${timeoutMs} ms`);
    }
    if (isErrorAck(res)) {
      const { code, message, field, retryAfterMs } = res.error;
      throw new PalaverSocketError(code, message, field, retryAfterMs);
    }
    return res as ClientAckResult<E>;
  }

  // --- messages

  /**
   * Sends a message. A timeout is retried (up to sendRetries) with the same clientMessageId; the server
   * answers a retry of a stored message with the original ack (`duplicate: true`).
   */
  async send(roomId: string, text: string, options: SendOptions = {}): Promise<SendMessageAck> {
    const payload = {
      roomId,
      text,
      clientMessageId: options.clientMessageId ?? newClientMessageId(),
    };
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await this.request('message:send', payload);
      } catch (err) {
        if (!(err instanceof PalaverSocketError) || err.code !== 'timeout' || attempt >= this.sendRetries)
          throw err;
      }
    }
  }

  edit(messageId: string, text: string): Promise<MessageView> {
    return this.request('message:edit', { messageId, text });
  }

  delete(messageId: string): Promise<MessageView> {
    return this.request('message:delete', { messageId });
  }

  history(query: HistoryPayload): Promise<MessageHistoryPage> {
    return this.request('message:history', query);
  }

  // --- rooms

  listRooms(): Promise<RoomView[]> {
    return this.request('room:list', {});
  }

  createRoom(input: CreateRoomPayload): Promise<RoomView> {
    return this.request('room:create', input);
  }

  joinRoom(roomId: string): Promise<RoomView> {
    return this.request('room:join', { roomId });
  }

  async leaveRoom(roomId: string): Promise<void> {
    await this.request('room:leave', { roomId });
  }

  openDirect(userId: string): Promise<RoomView> {
    return this.request('room:openDirect', { userId });
  }

  members(roomId: string): Promise<RoomMemberView[]> {
    return this.request('room:members', { roomId });
  }

  // --- connection errors

  /**
   * A refused handshake (`unauthorized`) is retried once after refreshing the access token; other
   * refusals, and a second `unauthorized`, fail connect(). Network errors are left to Socket.IO's own
   * reconnection.
   */
  private async onConnectError(err: Error & { data?: { code?: string; message?: string } }): Promise<void> {
    const code = err.data?.code;
    if (!code) return; // transport-level: the manager keeps trying (io.active)
    if (code === 'unauthorized' && !this.refreshedForThisAttempt) {
      this.refreshedForThisAttempt = true;
      try {
        await this.http.refresh();
        this.io.connect();
        return;
      } catch {
        /* fall through: the session is over */
      }
    }
    const failure = new PalaverSocketError(code, err.data?.message ?? err.message);
    for (const listener of [...this.failedListeners]) listener(failure);
  }
}
