import { Logger, OnModuleDestroy } from '@nestjs/common';
import {
  OnGatewayConnection,
  OnGatewayDisconnect,
  OnGatewayInit,
  WebSocketGateway,
} from '@nestjs/websockets';
import type { IncomingMessage } from 'node:http';
import type { ExtendedError } from 'socket.io';
import '../auth/auth.events';
import { AuthService } from '../auth/auth.service';
import { corsOrigins } from '../bootstrap/create-app';
import { ClusterBus } from '../cluster/cluster-bus';
import { DomainError, toErrorBody, ValidationFailedError } from '../common/domain-error';
import { AppConfig } from '../config/app-config';
import { MetricsService } from '../health/metrics.service';
import { RoomsRepository } from '../rooms/rooms.repository';
import { Broadcaster, PalaverServer, PalaverSocket } from './broadcaster';
import { roomChannel, userChannel } from './channels';
import { SOCKET_GATEWAY_OPTIONS } from './socket-options';

type Ack = (body: unknown) => void;

/**
 * The connection side of the realtime API: handshake authentication (the same AuthService.authenticate
 * as HTTP, token in `auth.token`), channel membership (`user:<id>` and `room:<id>` of each room), a gate
 * in front of every packet (unknown events and non-object payloads get an error ack before any handler
 * runs), and disconnection of sockets whose session was revoked on any node. Event handlers live in the
 * feature gateways (rooms.gateway.ts, messages.gateway.ts).
 */
@WebSocketGateway(SOCKET_GATEWAY_OPTIONS)
export class RealtimeGateway
  implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect, OnModuleDestroy
{
  private readonly logger = new Logger(RealtimeGateway.name);
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly auth: AuthService,
    private readonly rooms: RoomsRepository,
    private readonly broadcaster: Broadcaster,
    private readonly bus: ClusterBus,
    private readonly metrics: MetricsService,
    private readonly config: AppConfig,
  ) {}

  afterInit(server: PalaverServer): void {
    this.broadcaster.attach(server);
    const origins = corsOrigins(this.config);
    // Browsers send Origin; a page from a foreign origin may not open a socket with a user's token.
    server.engine.opts.allowRequest = (req: IncomingMessage, callback) => {
      const origin = req.headers.origin;
      const host = req.headers.host;
      const allowed = !origin || (origins !== false && origins.includes(origin)) || sameOrigin(origin, host);
      callback(allowed ? null : 'origin not allowed', allowed);
    };
    server.use((socket, next) => {
      this.authenticate(socket).then(
        () => next(),
        (err: unknown) => {
          // A refused socket never connects: drop any channel it joined on the way.
          for (const channel of [...socket.rooms]) void socket.leave(channel);
          next(connectError(err));
        },
      );
    });
    this.unsubscribe = this.bus.subscribe('auth.revoked', (notice) => {
      const count = this.broadcaster.disconnectLocalSockets(notice.userId, notice.reason, notice.sessionId);
      if (count > 0)
        this.logger.log(`disconnected ${count} socket(s) of user ${notice.userId}: ${notice.reason}`);
    });
  }

  handleConnection(socket: PalaverSocket): void {
    // Nest adds two 'disconnect' listeners per gateway to every socket; with a dozen feature gateways
    // that passes Node's default of 10 and prints a (false) leak warning.
    socket.setMaxListeners(64);
    socket.use((packet, next) => this.gate(socket, packet, next));
    this.metrics.connectedSockets.inc();
  }

  handleDisconnect(): void {
    this.metrics.connectedSockets.dec();
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
    this.broadcaster.detach();
  }

  /**
   * Authenticates the handshake and joins the socket to its channels before the connection opens. The
   * user channel is joined before the rooms are looked up, so a membership added meanwhile (which joins
   * the user's sockets through `user:<id>`) is not missed.
   */
  private async authenticate(socket: PalaverSocket): Promise<void> {
    const token: unknown = (socket.handshake.auth as Record<string, unknown> | undefined)?.token;
    if (typeof token !== 'string' || token.length === 0 || token.length > 4096) {
      throw new DomainError('unauthorized', 'auth.token (an access token) is required');
    }
    const user = await this.auth.authenticate(token);
    socket.data.user = user;
    await socket.join(userChannel(user.id));
    const memberships = await this.rooms.membershipsOf(user.id);
    await socket.join(memberships.map((m) => roomChannel(m.roomId)));
  }

  /**
   * Runs before any handler: an event nobody handles, or a payload that is not one plain object, is
   * answered with an error ack and goes no further. Times every acked event for the ack-latency metric.
   */
  private gate(socket: PalaverSocket, packet: unknown[], next: (err?: Error) => void): void {
    const event = String(packet[0]);
    const last = packet[packet.length - 1];
    const ack = packet.length > 1 && typeof last === 'function' ? (last as Ack) : undefined;
    const args = packet.slice(1, ack ? -1 : undefined);
    if (socket.listenerCount(event as never) === 0) {
      ack?.({ error: { code: 'unknown_event', message: `unknown event: ${event.slice(0, 64)}` } });
      return;
    }
    if (args.length > 1 || (args.length === 1 && !isPlainObject(args[0]))) {
      ack?.(new ValidationFailedError('the payload must be one JSON object').toBody());
      return;
    }
    if (ack) {
      const end = this.metrics.ackLatency.startTimer({ event });
      packet[packet.length - 1] = (body: unknown) => {
        end();
        ack(body);
      };
    }
    next();
  }
}

function isPlainObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

function sameOrigin(origin: string, host: string | undefined): boolean {
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false;
  }
}

/** Handshake failures reach the client as `connect_error` with `err.data = { code, message }`. */
function connectError(err: unknown): ExtendedError {
  const body = toErrorBody(err).error;
  const error = new Error(body.message) as ExtendedError;
  error.data = body;
  return error;
}
