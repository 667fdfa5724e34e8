import { Injectable, Logger } from '@nestjs/common';
import type {
  ClientToServerEvents,
  ServerEventName,
  ServerPayload,
  ServerToClientEvents,
} from '@palaver/client';
import type { Server, Socket } from 'socket.io';
import { AuthUser } from '../auth/auth-user';
import { roomChannel, userChannel } from './channels';

/** What the gateway keeps on each socket (`socket.data`). */
export interface SocketData {
  user: AuthUser;
}

export type PalaverServer = Server<
  ClientToServerEvents,
  ServerToClientEvents,
  Record<string, never>,
  SocketData
>;
export type PalaverSocket = Socket<
  ClientToServerEvents,
  ServerToClientEvents,
  Record<string, never>,
  SocketData
>;

/**
 * The one way out to live sockets: a repository around the Socket.IO server, typed by the protocol's
 * server→client map. Every method goes through the adapter, so with the Redis adapter it reaches sockets
 * on every node. Before the gateway attaches the server (or after shutdown) calls are dropped: there is
 * no one to deliver to.
 */
@Injectable()
export class Broadcaster {
  private readonly logger = new Logger(Broadcaster.name);
  private server: PalaverServer | null = null;

  /** Called by the gateway once Socket.IO is up. */
  attach(server: PalaverServer): void {
    this.server = server;
  }

  detach(): void {
    this.server = null;
  }

  toRoom<E extends ServerEventName>(roomId: string, event: E, payload: ServerPayload<E>): void {
    this.emit(roomChannel(roomId), event, payload);
  }

  toUser<E extends ServerEventName>(userId: string, event: E, payload: ServerPayload<E>): void {
    this.emit(userChannel(userId), event, payload);
  }

  /**
   * One event to the union of several channels: a socket in more than one of them receives it once
   * (presence goes to every room of a user and to the user's own devices).
   */
  toChannels<E extends ServerEventName>(channels: string[], event: E, payload: ServerPayload<E>): void {
    if (!this.server || channels.length === 0) return;
    (this.server.to(channels).emit as (ev: E, ...args: unknown[]) => boolean)(event, payload);
  }

  /** Live sockets of the user (on every node) start receiving the room's events. */
  joinUserToRoom(userId: string, roomId: string): void {
    this.server?.in(userChannel(userId)).socketsJoin(roomChannel(roomId));
  }

  /** Live sockets of the user (on every node) stop receiving the room's events. */
  removeUserFromRoom(userId: string, roomId: string): void {
    this.server?.in(userChannel(userId)).socketsLeave(roomChannel(roomId));
  }

  /** Every socket (on every node) leaves the room's channel: the room is gone. */
  closeRoom(roomId: string): void {
    this.server?.in(roomChannel(roomId)).socketsLeave(roomChannel(roomId));
  }

  /**
   * Tells the user's sockets their session ended, then disconnects them — all of them, or only those of
   * `sessionId`. Reaches every node; the auth.revoked bus handler uses disconnectLocalSockets instead.
   */
  async disconnectUser(userId: string, reason: string, sessionId?: string): Promise<void> {
    const server = this.server;
    if (!server) return;
    if (!sessionId) {
      server.to(userChannel(userId)).emit('session.ended', { reason });
      server.in(userChannel(userId)).disconnectSockets(true);
      return;
    }
    const sockets = await server.in(userChannel(userId)).fetchSockets();
    for (const socket of sockets) {
      if (socket.data.user?.sessionId !== sessionId) continue;
      socket.emit('session.ended', { reason });
      socket.disconnect(true);
    }
  }

  /** Like disconnectUser, for this node's sockets only (each node hears the bus notice itself). */
  disconnectLocalSockets(userId: string, reason: string, sessionId?: string): number {
    const server = this.server;
    if (!server) return 0;
    let count = 0;
    const channel = server.of('/').adapter.rooms.get(userChannel(userId));
    for (const socketId of [...(channel ?? [])]) {
      const socket = server.of('/').sockets.get(socketId);
      if (!socket || (sessionId && socket.data.user?.sessionId !== sessionId)) continue;
      socket.emit('session.ended', { reason });
      socket.disconnect(true);
      count += 1;
    }
    return count;
  }

  private emit<E extends ServerEventName>(channel: string, event: E, payload: ServerPayload<E>): void {
    if (!this.server) {
      this.logger.debug(`dropped ${event} to ${channel}: Socket.IO not attached`);
      return;
    }
    // The typed emit needs the tuple form of the event's parameters.
    (this.server.to(channel).emit as (ev: E, ...args: unknown[]) => boolean)(event, payload);
  }
}
