import { UseFilters, UsePipes } from '@nestjs/common';
import { MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import type { OkAck, RoomMemberView } from '@palaver/client';
import { AuthUser } from '../auth/auth-user';
import { createValidationPipe } from '../common/validation';
import { SocketAckFilter } from '../realtime/socket-ack.filter';
import { SOCKET_GATEWAY_OPTIONS } from '../realtime/socket-options';
import { SocketUser } from '../realtime/socket-user.decorator';
import { RoomView } from './room.entity';
import { CreateRoomDto, EmptyDto, RoomIdDto, UserIdDto } from './rooms.dto';
import { RoomsService } from './rooms.service';

/** Room operations a chat client does live; management (rename, kick, roles, delete) is REST. */
@WebSocketGateway(SOCKET_GATEWAY_OPTIONS)
@UseFilters(SocketAckFilter)
@UsePipes(createValidationPipe())
export class RoomsGateway {
  constructor(private readonly rooms: RoomsService) {}

  @SubscribeMessage('room:list')
  list(@SocketUser() user: AuthUser, @MessageBody() _dto: EmptyDto): Promise<RoomView[]> {
    return this.rooms.listMine(user);
  }

  @SubscribeMessage('room:create')
  create(@SocketUser() user: AuthUser, @MessageBody() dto: CreateRoomDto): Promise<RoomView> {
    return this.rooms.create(user, dto);
  }

  @SubscribeMessage('room:join')
  join(@SocketUser() user: AuthUser, @MessageBody() dto: RoomIdDto): Promise<RoomView> {
    return this.rooms.join(user, dto.roomId);
  }

  @SubscribeMessage('room:leave')
  async leave(@SocketUser() user: AuthUser, @MessageBody() dto: RoomIdDto): Promise<OkAck> {
    await this.rooms.leave(user, dto.roomId);
    return { ok: true };
  }

  @SubscribeMessage('room:openDirect')
  openDirect(@SocketUser() user: AuthUser, @MessageBody() dto: UserIdDto): Promise<RoomView> {
    return this.rooms.openDirect(user, dto.userId);
  }

  @SubscribeMessage('room:members')
  members(@SocketUser() user: AuthUser, @MessageBody() dto: RoomIdDto): Promise<RoomMemberView[]> {
    return this.rooms.members(user, dto.roomId);
  }
}
