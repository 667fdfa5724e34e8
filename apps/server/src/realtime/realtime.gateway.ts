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
import { DomainError, toErrorBody, UnauthorizedError } from '../common/domain-error';
import { InFlightBatcher } from '../common/in-flight-batcher';
import { AppConfig } from '../config/app-config';
import { MetricsService } from '../health/metrics.service';
import { MembershipRecord } from '../rooms/room.entity';
import { RoomsRepository } from '../rooms/rooms.repository';
import { AuthChange, AuthChangeLog } from './auth-change-log';
import { Broadcaster, PalaverServer, PalaverSocket } from './broadcaster';
import { roomChannel, userChannel } from './channels';
import { SOCKET_GATEWAY_OPTIONS } from './socket-options';

/**
 * The connection side of the realtime API: handshake authentication (the same AuthService.authenticate
 * as HTTP, token in `auth.token`), channel membership (`user:<id>` and `room:<id>` of each room), and
 * disconnection of sockets whose session was revoked on any node. Event handlers live in the feature
 * gateways (rooms.gateway.ts, messages.gateway.ts); the gate in front of them (unknown events,
 * non-object payloads) is the adapter's dispatcher (palaver-io.adapter.ts). A role change re-reads the
 * user of the account's live sockets.
 *
 * A notice finds connected sockets only. One that arrives while a handshake is between its check and
 * its connection would miss that socket, so each handshake notes the change log's position first and,
 * once connected, re-checks its session if a change heard meanwhile may concern it.
 */
@WebSocketGateway(SOCKET_GATEWAY_OPTIONS)
export class RealtimeGateway
  implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect, OnModuleDestroy
{
  private readonly logger = new Logger(RealtimeGateway.name);
  private readonly unsubscribers: (() => void)[] = [];
  private readonly authChanges = new AuthChangeLog();
  /** The change log's position when each handshake still in progress began. */
  private readonly handshakeStarts = new WeakMap<PalaverSocket, number>();
  private server: PalaverServer | null = null;
  /** The handshakes' room lookups: those arriving while one is in flight share the next read. */
  private readonly memberships: InFlightBatcher<string, MembershipRecord[]>;

  constructor(
    private readonly auth: AuthService,
    private readonly rooms: RoomsRepository,
    private readonly broadcaster: Broadcaster,
    private readonly bus: ClusterBus,
    private readonly metrics: MetricsService,
    private readonly config: AppConfig,
  ) {
    this.memberships = new InFlightBatcher((userIds) => this.rooms.membershipsOfUsers(userIds));
  }

  afterInit(server: PalaverServer): void {
    this.server = server;
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
      this.handshakeStarts.set(socket, this.authChanges.position);
      this.authenticate(socket).then(
        () => next(),
        (err: unknown) => {
          // A refused socket never connects: drop any channel it joined on the way.
          for (const channel of [...socket.rooms]) void socket.leave(channel);
          next(connectError(err));
        },
      );
    });
    this.unsubscribers.push(
      this.bus.subscribe('auth.revoked', (notice) => {
        this.authChanges.record(notice);
        const count = this.broadcaster.disconnectLocalSockets(notice.userId, notice.reason, notice.sessionId);
        if (count > 0)
          this.logger.log(`disconnected ${count} socket(s) of user ${notice.userId}: ${notice.reason}`);
      }),
      this.bus.subscribe('auth.role-changed', (notice) => {
        this.authChanges.record(notice);
        for (const socket of this.localSocketsOf(notice)) void this.recheck(socket);
      }),
    );
  }

  handleConnection(socket: PalaverSocket): void {
    this.metrics.connectedSockets.inc();
    const started = this.handshakeStarts.get(socket);
    this.handshakeStarts.delete(socket);
    const user = socket.data.user;
    if (started !== undefined && this.authChanges.concernsSince(started, user.id, user.sessionId)) {
      void this.recheck(socket);
    }
  }

  handleDisconnect(): void {
    this.metrics.connectedSockets.dec();
  }

  onModuleDestroy(): void {
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
    this.broadcaster.detach();
    this.server = null;
  }

  /**
   * Checks a live socket's session afresh: disconnected (as a revocation notice would) if it ended, its
   * user replaced if the account's role changed.
   */
  private async recheck(socket: PalaverSocket): Promise<void> {
    const before = socket.data.user;
    try {
      const now = await this.auth.reauthenticate(before);
      if (socket.connected && now.role !== before.role) socket.data.user = now;
    } catch (err) {
      if (!socket.connected) return;
      if (err instanceof UnauthorizedError) {
        socket.emit('session.ended', { reason: 'session_ended' });
      } else {
        // The check itself failed (database unreachable): the socket cannot be vouched for; its client
        // reconnects, and its handshake checks the session again.
        this.logger.warn(`re-check of a socket of user ${before.id} failed: ${(err as Error).message}`);
      }
      socket.disconnect(true);
    }
  }

  /** This node's connected sockets of the user (of the session only, when the change names one). */
  private localSocketsOf(change: AuthChange): PalaverSocket[] {
    const nsp = this.server?.of('/');
    const ids = nsp?.adapter.rooms.get(userChannel(change.userId));
    if (!nsp || !ids) return [];
    const sockets: PalaverSocket[] = [];
    for (const id of ids) {
      const socket = nsp.sockets.get(id);
      if (socket && (change.sessionId === undefined || socket.data.user.sessionId === change.sessionId)) {
        sockets.push(socket);
      }
    }
    return sockets;
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
    // A read that begins after the join above, shared with the handshakes waiting beside this one.
    const memberships = (await this.memberships.load(user.id)) ?? [];
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
