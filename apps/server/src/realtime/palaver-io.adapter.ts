import { INestApplicationContext, Logger } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { MessageMappingProperties } from '@nestjs/websockets';
import { isObservable, Observable } from 'rxjs';
import { Server, ServerOptions, Socket } from 'socket.io';
import { ErrorBody, ValidationFailedError } from '../common/domain-error';
import { MetricsService } from '../health/metrics.service';

/** The socket type of Nest's IoAdapter signatures (its own nested copy of socket.io's types). */
type NestSocket = Parameters<IoAdapter['bindMessageHandlers']>[0];

/** What Nest hands the adapter per handler and socket: its callback already bound to the socket. */
type BoundHandler = (data: unknown, ack?: Ack) => unknown;
type Ack = (body: unknown) => void;

/** The handlers one socket may call, by slot (slot numbers are shared by every socket, see slotsFor). */
interface SocketHandlers {
  readonly callbacks: (BoundHandler | undefined)[];
  /** Nest's disconnect callback is attached once per socket (see bindClientDisconnect). */
  disconnectBound: boolean;
}

/** Per handler slot, what Nest says about it. */
interface HandlerSlot {
  readonly event: string;
  readonly isAckHandledManually: boolean;
}

const UNKNOWN_EVENT_BODY_MAX = 64;

/**
 * The Socket.IO adapter of every Palaver node (the Redis one extends it).
 *
 * Nest's IoAdapter binds, for every socket and every `@SubscribeMessage` handler, an rxjs
 * `fromEvent → mergeMap → takeUntil(disconnect$)` chain, plus a disconnect listener per gateway: about
 * 40 KiB of subscribers and closures per idle connection with our two dozen handlers (docs/performance.md).
 * This adapter keeps per socket only the handlers Nest binds to it, in one array, and registers one
 * shared dispatcher (`socket.onAny`, called with the socket as `this`, so no closure per socket or per
 * handler). What a handler does is unchanged: Nest's callback carries the guards, pipes, interceptors and
 * exception filters (the SocketAckFilter turns a throw into an error ack).
 *
 * The dispatcher is also the gate in front of every handler: an event no gateway handles, or a payload
 * that is not one plain object, gets an error ack and goes no further; every acked event is timed for
 * the ack-latency metric. (Socket.IO still emits each client event to the socket's own listeners
 * afterwards; there are none, and its no-op `error` listener keeps an event named `error` harmless.)
 */
export class PalaverIoAdapter extends IoAdapter {
  private readonly logger = new Logger('PalaverIoAdapter');
  private readonly slots: HandlerSlot[] = [];
  /** event -> its slots (more than one if several gateways subscribe the same event, as Nest allows). */
  private readonly slotsByEvent = new Map<string, number[]>();
  private readonly handlersOf = new WeakMap<Socket, SocketHandlers>();
  private serversCreated = 0;
  private metrics: MetricsService | undefined;
  private readonly dispatcher: (this: Socket, event: unknown, ...args: unknown[]) => void;

  constructor(private readonly app: INestApplicationContext) {
    super(app);
    // A plain function: Socket.IO calls onAny listeners with the socket as `this`.
    const dispatch = this.dispatch.bind(this);
    this.dispatcher = function (this: Socket, event: unknown, ...args: unknown[]) {
      dispatch(this, event, args);
    };
  }

  /**
   * The server is built from the application's own socket.io package (the one its types and the
   * Redis adapter come from), not the copy nested under @nestjs/platform-socket.io.
   */
  override createIOServer(port: number, options?: Partial<ServerOptions>): Server {
    this.serversCreated += 1;
    this.metrics ??= metricsOf(this.app);
    if (this.httpServer && port === 0) return new Server(this.httpServer, options);
    return new Server(port, options);
  }

  /**
   * Called by Nest once per gateway for each new socket. Records the socket's bound handlers in the
   * shared slot order; the first call for a socket also attaches the dispatcher.
   */
  override bindMessageHandlers(
    nestSocket: NestSocket,
    handlers: MessageMappingProperties[],
    // Nest's rxjs wrapper around each result; results are awaited in respond() instead.
    _transform: (data: unknown) => Observable<unknown>,
  ): void {
    const socket = nestSocket as unknown as Socket;
    let record = this.handlersOf.get(socket);
    if (!record) {
      // Sized once: every socket fills the same slots (grown by assignment it would over-allocate).
      record = { callbacks: new Array<BoundHandler | undefined>(this.slots.length), disconnectBound: false };
      this.handlersOf.set(socket, record);
      socket.onAny(this.dispatcher);
    }
    for (const handler of handlers) {
      const slot = this.slotFor(handler, record);
      record.callbacks[slot] = handler.callback as BoundHandler;
    }
  }

  /**
   * Nest calls this once per gateway per socket with `() => disconnect.next(socket)`. Every gateway of
   * one server shares that one disconnect stream (each gateway's handleDisconnect is deduplicated by
   * socket), so with one server a single listener per socket reaches every handleDisconnect. With
   * several servers or namespaces each callback is attached, as Nest's adapter does.
   */
  override bindClientDisconnect(socket: Socket, callback: (...args: unknown[]) => void): void {
    const record = this.handlersOf.get(socket);
    if (this.serversCreated === 1 && record) {
      if (record.disconnectBound) return;
      record.disconnectBound = true;
    }
    socket.on('disconnect', callback);
  }

  /**
   * The slot of this handler: the first slot of its event that this socket has not filled yet (gateways
   * bind in the same order for every socket, so the n-th binding of an event is always the same gateway).
   */
  private slotFor(handler: MessageMappingProperties, record: SocketHandlers): number {
    const event = String(handler.message);
    const existing = this.slotsByEvent.get(event) ?? [];
    const free = existing.find((slot) => record.callbacks[slot] === undefined);
    if (free !== undefined) return free;
    const slot = this.slots.length;
    this.slots.push({ event, isAckHandledManually: handler.isAckHandledManually === true });
    existing.push(slot);
    this.slotsByEvent.set(event, existing);
    return slot;
  }

  private dispatch(socket: Socket, event: unknown, args: unknown[]): void {
    const name = String(event);
    const last = args[args.length - 1];
    let ack = typeof last === 'function' ? (last as Ack) : undefined;
    const data = ack ? args.slice(0, -1) : args;
    const slots = this.slotsByEvent.get(name);
    const record = this.handlersOf.get(socket);
    if (!slots || !record) {
      ack?.(unknownEventBody(name));
      return;
    }
    if (data.length > 1 || (data.length === 1 && !isPlainObject(data[0]))) {
      ack?.(new ValidationFailedError('the payload must be one JSON object').toBody());
      return;
    }
    if (ack && this.metrics) {
      const end = this.metrics.ackLatency.startTimer({ event: name });
      const send = ack;
      ack = (body: unknown) => {
        end();
        send(body);
      };
    }
    for (const slot of slots) {
      const callback = record.callbacks[slot];
      if (!callback) continue;
      this.run(socket, callback, data[0], ack, this.slots[slot]!);
    }
  }

  /**
   * Calls the handler and answers as Nest's adapter does: a result `{ event, data }` is emitted to the
   * socket, any other non-null result is the ack (unless the handler acks itself), an Observable answers
   * once per value. Nothing is sent once the socket has disconnected.
   */
  private run(
    socket: Socket,
    callback: BoundHandler,
    data: unknown,
    ack: Ack | undefined,
    slot: HandlerSlot,
  ) {
    const respond = (response: unknown) => {
      if (response === null || response === undefined || !socket.connected) return;
      const emitted = response as { event?: unknown; data?: unknown };
      if (emitted.event) {
        socket.emit(String(emitted.event), emitted.data);
        return;
      }
      if (!slot.isAckHandledManually) ack?.(response);
    };
    const failed = (err: unknown) => {
      // Nest's exception filters already answered anything a handler throws; this is a bug in them.
      this.logger.error(`socket handler for ${slot.event} failed: ${(err as Error)?.stack ?? String(err)}`);
    };
    Promise.resolve()
      .then(() => callback(data, ack))
      .then((result) => {
        if (!isObservable(result)) return respond(result);
        const subscription = result.subscribe({
          next: (value) => (socket.connected ? respond(value) : subscription.unsubscribe()),
          error: failed,
        });
      })
      .catch(failed);
  }
}

/** The ack-latency metric lives in MetricsService; an application without it (a test module) is not timed. */
function metricsOf(app: INestApplicationContext): MetricsService | undefined {
  try {
    return app.get(MetricsService, { strict: false });
  } catch {
    return undefined;
  }
}

function unknownEventBody(event: string): ErrorBody {
  return {
    error: { code: 'unknown_event', message: `unknown event: ${event.slice(0, UNKNOWN_EVENT_BODY_MAX)}` },
  };
}

function isPlainObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}
