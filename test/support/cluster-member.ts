import { randomUUID } from 'node:crypto';
import {
  ClientAckResult,
  ClientEventName,
  ClientPayload,
  ClientToServerEvents,
  isErrorAck,
  MessageView,
  PalaverClient,
  ServerToClientEvents,
} from '@palaver/client';
import { io, Socket } from 'socket.io-client';
import { waitFor } from './ports';

type PalaverSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** An error ack turned into an exception (code and message kept). */
export class AckError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

/**
 * A logged-in member for cluster tests: HTTP client plus one websocket-only Socket.IO connection to a
 * chosen node (as behind a load balancer without stickiness), which can be moved to another node. It
 * records every `message.created` it receives, so tests can check exactly-once delivery.
 */
export class ClusterMember {
  socket?: PalaverSocket;
  /** Every message.created received live, in arrival order (duplicates kept, to be detected). */
  readonly live: MessageView[] = [];
  /** Times the socket was disconnected by the server, with the reason given by session.ended. */
  readonly sessionEnded: string[] = [];
  nodeUrl = '';
  /** Node URLs to move to when the current node drops the connection (a load balancer's job). */
  private failoverUrls: string[] = [];
  private reconnecting?: Promise<void>;
  /** How many times the member moved to another node after losing its node. */
  failovers = 0;

  constructor(readonly client: PalaverClient) {}

  get userId(): string {
    return this.client.user!.id;
  }

  static async register(nodeUrl: string, username: string): Promise<ClusterMember> {
    const client = new PalaverClient(nodeUrl);
    await client.register(username, 'cluster test password');
    return new ClusterMember(client);
  }

  /** Opens the socket to `nodeUrl` (closing any previous one) and waits for the connection. */
  async connect(nodeUrl: string, timeoutMs = 10_000): Promise<void> {
    this.socket?.disconnect();
    this.nodeUrl = nodeUrl;
    const socket: PalaverSocket = io(nodeUrl, {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      timeout: timeoutMs,
      auth: { token: this.client.accessToken },
    });
    this.socket = socket;
    socket.on('message.created', (message) => this.live.push(message));
    socket.on('session.ended', (event) => this.sessionEnded.push(event.reason));
    socket.on('disconnect', (reason) => {
      // Transport loss (node killed): reconnect elsewhere. A server or client disconnect is deliberate.
      if (this.socket !== socket || this.failoverUrls.length === 0) return;
      if (reason === 'io server disconnect' || reason === 'io client disconnect') return;
      this.reconnecting ??= this.reconnectElsewhere().finally(() => (this.reconnecting = undefined));
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`socket to ${nodeUrl} did not connect in ${timeoutMs} ms`)),
        timeoutMs,
      );
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once('connect_error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  /** From now on, a lost connection is re-opened on the first of `urls` (other than the lost one) that accepts it. */
  enableFailover(urls: string[]): void {
    this.failoverUrls = urls;
  }

  /** Waits (bounded) until the member has a live connection again, e.g. after a failover. */
  async waitConnected(timeoutMs = 20_000): Promise<void> {
    await waitFor(`${this.client.user?.username} to be connected`, () => this.connected, timeoutMs);
  }

  private async reconnectElsewhere(): Promise<void> {
    const lost = this.nodeUrl;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      for (const url of this.failoverUrls.filter((u) => u !== lost)) {
        try {
          await this.connect(url, 3000);
          this.failovers++;
          return;
        } catch {
          /* try the next node */
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  get connected(): boolean {
    return this.socket?.connected ?? false;
  }

  /** Emits with an ack, bounded by `timeoutMs`; error acks throw AckError. */
  async call<E extends ClientEventName>(
    event: E,
    payload: ClientPayload<E>,
    timeoutMs = 5000,
  ): Promise<ClientAckResult<E>> {
    const socket = this.socket;
    if (!socket?.connected) throw new Error(`not connected (${event})`);
    // The typed emitWithAck wants the event's tuple; the maps above already type payload and result.
    const timed = socket.timeout(timeoutMs) as unknown as {
      emitWithAck(ev: string, p: unknown): Promise<unknown>;
    };
    const result = await timed.emitWithAck(event, payload);
    if (isErrorAck(result)) throw new AckError(result.error.code, result.error.message);
    return result as ClientAckResult<E>;
  }

  /** Sends a message with a fresh clientMessageId (or the given one, for a retry). */
  send(roomId: string, text: string, clientMessageId: string = randomUUID(), timeoutMs = 5000) {
    return this.call('message:send', { roomId, text, clientMessageId }, timeoutMs);
  }

  /** The room's full history as the server has it, oldest first (paged through message:history). */
  async history(roomId: string): Promise<MessageView[]> {
    const all: MessageView[] = [];
    let before: number | undefined;
    for (;;) {
      const page = await this.call('message:history', { roomId, limit: 100, ...(before ? { before } : {}) });
      all.push(...page.messages);
      if (page.nextBefore === null) break;
      before = page.nextBefore;
    }
    return all.sort((a, b) => a.seq - b.seq);
  }

  /** Resolves once the socket is gone (server-side disconnect), bounded. */
  async waitDisconnected(timeoutMs = 10_000): Promise<void> {
    await waitFor(`${this.client.user?.username} to be disconnected`, () => !this.connected, timeoutMs);
  }

  close(): void {
    this.socket?.disconnect();
  }
}

/** Ids that occur more than once (for exactly-once assertions). */
export function duplicates(ids: readonly string[]): string[] {
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const id of ids) (seen.has(id) ? twice : seen).add(id);
  return [...twice];
}
