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
import { DomainError, toErrorBody } from '../common/domain-error';
import { AppConfig } from '../config/app-config';
import { MetricsService } from '../health/metrics.service';
import { RoomsRepository } from '../rooms/rooms.repository';
import { Broadcaster, PalaverServer, PalaverSocket } from './broadcaster';
import { roomChannel, userChannel } from './channels';
import { SOCKET_GATEWAY_OPTIONS } from './socket-options';

/**
 * The connection side of the realtime API: handshake authentication (the same AuthService.authenticate
 * as HTTP, token in `auth.token`), channel membership (`user:<id>` and `room:<id>` of each room), and
 * disconnection of sockets whose session was revoked on any node. Event handlers live in the feature
 * gateways (rooms.gateway.ts, messages.gateway.ts); the gate in front of them (unknown events,
 * non-object payloads) is the adapter's dispatcher (palaver-io.adapter.ts).
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

  handleConnection(): void {
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
    // The token is not needed past this point; dropping the auth payload keeps it out of memory (and of
    // heap dumps) for the life of the connection.
    socket.handshake.auth = NO_AUTH_PAYLOAD;
    socket.data.user = user;
    await socket.join(userChannel(user.id));
    const memberships = await this.rooms.membershipsOf(user.id);
    await socket.join(memberships.map((m) => roomChannel(m.roomId)));
  }
}

/** What a socket's `handshake.auth` holds once the handshake is authenticated. */
const NO_AUTH_PAYLOAD: Record<string, never> = Object.freeze({});

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
