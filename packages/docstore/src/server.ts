/**
 * The TCP server: frames messages, runs commands in order per connection and writes replies. A frame over
 * maxMessageSizeBytes, a malformed header or BSON, or an unknown opcode closes that connection; nothing a
 * client sends can stop the process or touch stored data.
 */
import { chmod, lstat, unlink } from 'node:fs/promises';
import net from 'node:net';
import { BSON, type Document } from 'bson';
import { type CommandResult, type ServerState, helloReply, runCommand } from './commands';
import { CursorRegistry } from './cursors';
import { errorReply } from './errors';
import { CloseConnectionRequested, FailPoints } from './fail-points';
import { Storage } from './storage';
import { TtlSweeper } from './ttl';
import {
  MAX_MESSAGE_SIZE_BYTES,
  MSG_MORE_TO_COME,
  OP_MSG,
  OP_QUERY,
  ReplyParts,
  WireError,
  buildMsgReply,
  buildOpReply,
  parseRequest,
} from './wire';

export interface DocstoreOptions {
  /** Data directory (created if missing). */
  dbPath: string;
  /** TCP port; 0 picks a free one. Default 27017. */
  port?: number;
  /** Address to bind. Default 127.0.0.1; anything else should be a deliberate choice (no authentication). */
  host?: string;
  /**
   * Listen on this Unix domain socket instead of TCP (created with mode 0600, so only this OS user can
   * connect; a stale socket file left by a killed process is replaced). Round trips are cheaper than over
   * loopback TCP. The URI is `mongodb://<path, percent-encoded>/`.
   */
  socketPath?: string;
  /**
   * Writes are acknowledged once committed to the OS (surviving a killed process); the data file is fsynced
   * every `syncIntervalMs` (default 100, bounding loss on power failure). 0 = fsync every commit (slower).
   */
  syncIntervalMs?: number;
  /** How often expired TTL documents are removed, in ms. Default 60000 (as MongoDB). */
  ttlIntervalMs?: number;
  /** Called for unexpected internal errors (a bug, not a bad request). Default: console.error. */
  onError?: (err: unknown) => void;
  /** Accept MongoDB's test-only `configureFailPoint` (failCommand), for specification tests. Default false. */
  enableTestCommands?: boolean;
}

export interface Docstore {
  uri: string;
  /** The TCP port, or 0 when listening on a Unix socket. */
  port: number;
  host: string;
  /** The Unix socket listened on, when `socketPath` was given. */
  socketPath?: string;
  close(): Promise<void>;
}

const HEADER_SIZE = 16;
/**
 * Frames above this size that arrive in several socket reads are assembled in a reusable per-connection
 * buffer of REUSED_FRAME_BYTES instead of a fresh one (GridFS sends a 255 KiB chunk per insert: a fresh
 * buffer each time costs page faults and drives V8's external-memory garbage collections).
 */
const REUSE_FRAME_FROM = 64 * 1024;
const REUSED_FRAME_BYTES = 1024 * 1024;

class Connection {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private queue: Promise<void> = Promise.resolve();
  private requestCounter = 1;
  private closed = false;
  /** The reusable frame buffer, when no request is using it. */
  private spareFrame: Buffer | undefined;

  constructor(
    private readonly socket: net.Socket,
    private readonly state: ServerState,
    private readonly id: number,
    private readonly onError: (err: unknown) => void,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this.onData(chunk));
    socket.on('error', () => this.destroy());
    socket.on('close', () => {
      this.closed = true;
      state.connections.current--;
    });
  }

  private destroy(): void {
    this.closed = true;
    this.chunks = [];
    this.buffered = 0;
    this.socket.destroy();
  }

  /** Length of the frame being received, once its first 4 bytes are in; chunks are joined only when it is complete. */
  private expected = 0;

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    while (this.buffered >= 4) {
      if (this.expected === 0) {
        if (this.chunks[0].length < 4) this.chunks = [Buffer.concat(this.chunks)];
        const length = this.chunks[0].readInt32LE(0);
        if (length < HEADER_SIZE + 1 || length > MAX_MESSAGE_SIZE_BYTES) {
          this.destroy();
          return;
        }
        this.expected = length;
      }
      if (this.buffered < this.expected) return;
      let frame: Buffer;
      let reusable: Buffer | undefined;
      if (this.chunks[0].length >= this.expected) {
        frame = this.chunks[0].subarray(0, this.expected);
        const rest = this.chunks[0].subarray(this.expected);
        this.chunks = rest.length ? [rest, ...this.chunks.slice(1)] : this.chunks.slice(1);
      } else {
        if (this.expected >= REUSE_FRAME_FROM && this.expected <= REUSED_FRAME_BYTES) {
          reusable = this.spareFrame ?? Buffer.allocUnsafe(REUSED_FRAME_BYTES);
          this.spareFrame = undefined;
          frame = reusable.subarray(0, this.expected);
        } else {
          frame = Buffer.allocUnsafe(this.expected);
        }
        this.fillFrame(frame);
      }
      this.buffered -= this.expected;
      this.expected = 0;
      this.queue = this.queue.then(() => this.handle(frame, reusable));
    }
  }

  /** Moves the first `frame.length` buffered bytes into `frame`, keeping what follows buffered. */
  private fillFrame(frame: Buffer): void {
    let filled = 0;
    while (filled < frame.length) {
      const chunk = this.chunks[0];
      const take = Math.min(chunk.length, frame.length - filled);
      chunk.copy(frame, filled, 0, take);
      filled += take;
      if (take === chunk.length) this.chunks.shift();
      else this.chunks[0] = chunk.subarray(take);
    }
  }

  private async handle(frame: Buffer, reusable?: Buffer): Promise<void> {
    await this.run(frame);
    // Only an insert is known to keep nothing that points into its frame once answered (its documents were
    // copied into LMDB); other commands may (a cursor's filter), so their buffer is left to the GC.
    if (reusable && isInsert(frame)) this.spareFrame = reusable;
  }

  private async run(frame: Buffer): Promise<void> {
    if (this.closed) return;
    let req;
    try {
      req = parseRequest(frame);
    } catch (err) {
      if (!(err instanceof WireError)) this.onError(err);
      this.destroy();
      return;
    }
    const { header } = req;
    let reply: CommandResult;
    try {
      if (req.opCode === OP_QUERY) {
        reply = await this.legacyQuery(req.queryNamespace ?? '', req.body);
      } else {
        const name = Object.keys(req.body)[0] ?? '';
        const db = typeof req.body.$db === 'string' ? req.body.$db : '';
        reply = await runCommand(this.state, {
          name,
          body: req.body,
          db,
          bodyRaw: req.bodyRaw,
          sequences: req.sequences,
          connectionId: this.id,
        });
      }
    } catch (err) {
      if (err instanceof CloseConnectionRequested) {
        this.destroy();
        return;
      }
      // Every error becomes the client's answer; only likely faults of the docstore itself are also logged.
      if (isInternalFault(err)) this.onError(err);
      reply = errorReply(err);
    }
    if (req.opCode === OP_MSG && req.flags & MSG_MORE_TO_COME) return;
    if (this.closed) return;
    let body: Buffer | ReplyParts;
    try {
      body = Buffer.isBuffer(reply) || reply instanceof ReplyParts ? reply : serialize(reply);
    } catch (err) {
      body = serialize(errorReply(err));
    }
    const requestId = this.requestCounter++;
    const parts =
      req.opCode === OP_QUERY
        ? buildOpReply(requestId, header.requestId, body)
        : buildMsgReply(requestId, header.requestId, body);
    if (parts.length === 1) {
      this.socket.write(parts[0]);
      return;
    }
    // Corked writes of the parts (one writev): no copy of a reply that may hold megabytes of GridFS chunks.
    this.socket.cork();
    for (const part of parts) this.socket.write(part);
    this.socket.uncork();
  }

  /** OP_QUERY is accepted only for the handshake (`isMaster`/`hello` on `<db>.$cmd`), as MongoDB 6+ does. */
  private legacyQuery(ns: string, body: Document): Promise<CommandResult> {
    const query = (body.$query as Document | undefined) ?? body;
    const name = (Object.keys(query)[0] ?? '').toLowerCase();
    if (!ns.endsWith('.$cmd') || (name !== 'ismaster' && name !== 'hello')) {
      return Promise.resolve({
        ok: 0,
        errmsg: 'Unsupported OP_QUERY command: only hello/isMaster are accepted over OP_QUERY',
        code: 352,
        codeName: 'UnsupportedOpQueryCommand',
      });
    }
    return Promise.resolve(helloReply(this.id, true));
  }
}

/** Whether an OP_MSG frame's body names the `insert` command first (checked on the raw bytes). */
function isInsert(frame: Buffer): boolean {
  // header (16) + flagBits (4) + section kind 0 (1) + document length (4) + element type 0x02 (1)
  return (
    frame.length > 33 &&
    frame.readInt32LE(12) === OP_MSG &&
    frame[20] === 0 &&
    frame[25] === 0x02 &&
    frame.toString('latin1', 26, 33) === 'insert\0'
  );
}

/** BSON.serialize's result as a Buffer without copying it. */
function serialize(doc: Document): Buffer {
  const bytes = BSON.serialize(doc);
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function isInternalFault(err: unknown): boolean {
  return (
    !(err instanceof Error) ||
    err instanceof TypeError ||
    err instanceof RangeError ||
    err instanceof ReferenceError
  );
}

/**
 * A socket file left by a process that was killed is in the way of `listen`; one that a live server still
 * answers on is not ours to take.
 */
async function removeStaleSocket(path: string): Promise<void> {
  const existing = await lstat(path).catch(() => undefined);
  if (!existing) return;
  if (!existing.isSocket()) throw new Error(`${path} exists and is not a socket`);
  const live = await new Promise<boolean>((resolve) => {
    const probe = net.connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (live) throw new Error(`another server is listening on ${path}`);
  await unlink(path);
}

/** Starts a docstore server on `host:port` (or the Unix socket `socketPath`) storing data under `dbPath`. */
export async function startDocstore(options: DocstoreOptions): Promise<Docstore> {
  const { mkdir } = await import('node:fs/promises');
  await mkdir(options.dbPath, { recursive: true });
  const storage = new Storage(options.dbPath, options.syncIntervalMs ?? 100);
  const state: ServerState = {
    storage,
    cursors: new CursorRegistry(),
    startedAt: Date.now(),
    connections: { current: 0, totalCreated: 0 },
    opcounters: { insert: 0, query: 0, update: 0, delete: 0, getmore: 0, command: 0 },
    failPoints: new FailPoints(options.enableTestCommands ?? false),
  };
  const onError = options.onError ?? ((err: unknown) => console.error('docstore internal error:', err));
  const sockets = new Set<net.Socket>();
  let nextConnectionId = 1;
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    state.connections.current++;
    state.connections.totalCreated++;
    new Connection(socket, state, nextConnectionId++, onError);
  });
  const host = options.host ?? '127.0.0.1';
  const { socketPath } = options;
  try {
    if (socketPath) await removeStaleSocket(socketPath);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      const listening = (): void => {
        server.off('error', reject);
        resolve();
      };
      if (socketPath) server.listen(socketPath, listening);
      else server.listen(options.port ?? 27017, host, listening);
    });
    if (socketPath) await chmod(socketPath, 0o600);
  } catch (err) {
    server.close();
    await storage.close();
    throw err;
  }
  const port = socketPath ? 0 : (server.address() as net.AddressInfo).port;
  const sweeper = new TtlSweeper(storage, options.ttlIntervalMs ?? 60_000, onError);
  sweeper.start();
  let closing: Promise<void> | undefined;
  const uriHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return {
    uri: socketPath ? `mongodb://${encodeURIComponent(socketPath)}/` : `mongodb://${uriHost}:${port}/`,
    port,
    host,
    socketPath,
    close: () => {
      closing ??= (async () => {
        await sweeper.stop();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          for (const s of sockets) s.destroy();
        });
        state.cursors.closeAll();
        await storage.close();
      })();
      return closing;
    },
  };
}
