import { INestApplicationContext, Logger } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { MessageMappingProperties } from '@nestjs/websockets';
import { isObservable, Observable } from 'rxjs';
import { Server, ServerOptions, Socket } from 'socket.io';
import { ErrorBody, ValidationFailedError } from '../common/domain-error';
import { MetricsService } from '../health/metrics.service';
import { buildGatewayHandlers, GatewayEventHandler } from './gateway-handlers';

/** The socket type of Nest's IoAdapter signatures (its own nested copy of socket.io's types). */
type NestSocket = Parameters<IoAdapter['bindMessageHandlers']>[0];

type Ack = (body: unknown) => void;

/** Per socket, what is attached: bit flags. */
const DISPATCHER = 1;
const DISCONNECT = 2;

const UNKNOWN_EVENT_BODY_MAX = 64;

/**
 * The Socket.IO adapter of every Palaver node (the Redis one extends it).
 *
 * Nest's IoAdapter binds, for every socket and every `@SubscribeMessage` handler, an rxjs
 * `fromEvent → mergeMap → takeUntil(disconnect$)` chain, plus a disconnect listener per gateway: about
 * 40 KiB of subscribers and closures per idle connection with our two dozen handlers, and Nest's
 * per-socket bound handler functions on top (docs/performance.md). This adapter builds every handler
 * once (buildGatewayHandlers: Nest's own context creator, so guards, pipes, interceptors and exception
 * filters apply as before, and the SocketAckFilter turns a throw into an error ack) and registers per
 * socket one shared dispatcher (`socket.onAny`, called with the socket as `this`: no closure per socket
 * or per handler) and one disconnect listener. The handlers Nest binds per socket are left unused.
 *
 * The dispatcher is also the gate in front of every handler: an event no gateway handles, or a payload
 * that is not one plain object, gets an error ack and goes no further; every acked event is timed for
 * the ack-latency metric. (Socket.IO still emits each client event to the socket's own listeners
 * afterwards; there are none, and its no-op `error` listener keeps an event named `error` harmless.)
 */
export class PalaverIoAdapter extends IoAdapter {
  private readonly logger = new Logger('PalaverIoAdapter');
  /** event -> its handlers (more than one if several gateways subscribe the same event, as Nest allows). */
  private handlers = new Map<string, GatewayEventHandler[]>();
  /** Events Nest binds that the shared table lacks (reported once each; both scan the same modules). */
  private readonly reportedMissing = new Set<string>();
  private readonly bindings = new WeakMap<Socket, number>();
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
    this.metrics ??= metricsOf(this.app);
    // Nest creates the server once every provider exists, before any connection: a gateway this
    // adapter cannot serve fails the boot here rather than a connection later.
    this.handlers = buildGatewayHandlers(this.app);
    if (this.httpServer && port === 0) return new Server(this.httpServer, options);
    return new Server(port, options);
  }

  /**
   * Called by Nest once per gateway for each new socket, with that gateway's handlers bound to the
   * socket. The first call for a socket attaches the dispatcher; the bound handlers are not kept.
   */
  override bindMessageHandlers(
    nestSocket: NestSocket,
    nestHandlers: MessageMappingProperties[],
    // Nest's rxjs wrapper around each result; results are awaited in run() instead.
    _transform: (data: unknown) => Observable<unknown>,
  ): void {
    const socket = nestSocket as unknown as Socket;
    for (const { message } of nestHandlers) {
      const event = String(message);
      if (this.handlers.has(event) || this.reportedMissing.has(event)) continue;
      this.reportedMissing.add(event);
      this.logger.error(`socket event ${event} has no shared handler: it will be answered unknown_event`);
    }
    const bound = this.bindings.get(socket) ?? 0;
    if (bound & DISPATCHER) return;
    this.bindings.set(socket, bound | DISPATCHER);
    socket.onAny(this.dispatcher);
  }

  /**
   * Nest calls this once per gateway per socket with `() => disconnect.next(socket)`. Every gateway of
   * the one server shares that disconnect stream (and each gateway's handleDisconnect is deduplicated by
   * socket), so one listener per socket reaches every handleDisconnect.
   */
  override bindClientDisconnect(nestSocket: NestSocket, callback: (...args: unknown[]) => void): void {
    const socket = nestSocket as unknown as Socket;
    const bound = this.bindings.get(socket) ?? 0;
    if (bound & DISCONNECT) return;
    this.bindings.set(socket, bound | DISCONNECT);
    socket.on('disconnect', callback);
  }

  private dispatch(socket: Socket, event: unknown, args: unknown[]): void {
    const name = String(event);
    const last = args[args.length - 1];
    let ack = typeof last === 'function' ? (last as Ack) : undefined;
    const data = ack ? args.slice(0, -1) : args;
    const handlers = this.handlers.get(name);
    if (!handlers) {
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
    for (const handler of handlers) this.run(socket, handler, data[0], ack);
  }

  /**
   * Calls the handler and answers as Nest's adapter does: a result `{ event, data }` is emitted to the
   * socket, any other non-null result is the ack (unless the handler acks itself), an Observable answers
   * once per value. Nothing is sent once the socket has disconnected.
   */
  private run(socket: Socket, handler: GatewayEventHandler, data: unknown, ack: Ack | undefined): void {
    const respond = (response: unknown) => {
      if (response === null || response === undefined || !socket.connected) return;
      const emitted = response as { event?: unknown; data?: unknown };
      if (emitted.event) {
        socket.emit(String(emitted.event), emitted.data);
        return;
      }
      if (!handler.isAckHandledManually) ack?.(response);
    };
    const failed = (err: unknown) => {
      // Nest's exception filters already answered anything a handler throws; this is a bug in them.
      this.logger.error(
        `socket handler ${handler.gateway} ${handler.event} failed: ${(err as Error)?.stack ?? String(err)}`,
      );
    };
    handler
      .call(socket, data, ack)
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
