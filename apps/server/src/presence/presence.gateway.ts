import { Logger, UseFilters, UsePipes } from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  OnGatewayConnection,
  OnGatewayDisconnect,
  SubscribeMessage,
  WebSocketGateway,
} from '@nestjs/websockets';
import type { OkAck, PresenceEvent, PresenceStatus } from '@palaver/client';
import { AuthUser } from '../auth/auth-user';
import { createValidationPipe } from '../common/validation';
import { PalaverSocket } from '../realtime/broadcaster';
import { SocketAckFilter } from '../realtime/socket-ack.filter';
import { SOCKET_GATEWAY_OPTIONS } from '../realtime/socket-options';
import { SocketUser } from '../realtime/socket-user.decorator';
import { PresenceQueryDto, PresenceSetDto, TypingDto } from './presence.dto';
import { PresenceService } from './presence.service';

@WebSocketGateway(SOCKET_GATEWAY_OPTIONS)
@UseFilters(SocketAckFilter)
@UsePipes(createValidationPipe())
export class PresenceGateway implements OnGatewayConnection, OnGatewayDisconnect {
  private readonly logger = new Logger(PresenceGateway.name);

  constructor(private readonly presence: PresenceService) {}

  handleConnection(socket: PalaverSocket): void {
    const user = socket.data.user;
    if (!user) return;
    this.presence
      .connected(user, socket.id)
      .catch((err: Error) => this.logger.warn(`presence: ${err.message}`));
  }

  handleDisconnect(socket: PalaverSocket): void {
    const user = socket.data.user;
    if (!user) return;
    this.presence
      .disconnected(socket.id, user.id)
      .catch((err: Error) => this.logger.warn(`presence: ${err.message}`));
  }

  @SubscribeMessage('presence:set')
  set(
    @SocketUser() user: AuthUser,
    @ConnectedSocket() socket: PalaverSocket,
    @MessageBody() dto: PresenceSetDto,
  ): Promise<PresenceEvent> {
    return this.presence.set(user, socket.id, dto.status);
  }

  @SubscribeMessage('presence:query')
  query(@MessageBody() dto: PresenceQueryDto): Promise<Record<string, PresenceStatus>> {
    return this.presence.query(dto.userIds);
  }

  @SubscribeMessage('typing:start')
  async start(@SocketUser() user: AuthUser, @MessageBody() dto: TypingDto): Promise<OkAck> {
    await this.presence.startTyping(user, dto.roomId);
    return { ok: true };
  }

  @SubscribeMessage('typing:stop')
  async stop(@SocketUser() user: AuthUser, @MessageBody() dto: TypingDto): Promise<OkAck> {
    await this.presence.stopTyping(user, dto.roomId);
    return { ok: true };
  }

  @SubscribeMessage('typing:list')
  list(@SocketUser() user: AuthUser, @MessageBody() dto: TypingDto): Promise<string[]> {
    return this.presence.typingIn(user, dto.roomId);
  }
}
