import { UseFilters, UsePipes } from '@nestjs/common';
import { MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import type { OkAck, PinView } from '@palaver/client';
import { AuthUser } from '../auth/auth-user';
import { createValidationPipe } from '../common/validation';
import { SocketAckFilter } from '../realtime/socket-ack.filter';
import { SOCKET_GATEWAY_OPTIONS } from '../realtime/socket-options';
import { SocketUser } from '../realtime/socket-user.decorator';
import { PinListDto, PinMessageDto } from './pins.dto';
import { PinsService } from './pins.service';

@WebSocketGateway(SOCKET_GATEWAY_OPTIONS)
@UseFilters(SocketAckFilter)
@UsePipes(createValidationPipe())
export class PinsGateway {
  constructor(private readonly pins: PinsService) {}

  @SubscribeMessage('pin:add')
  add(@SocketUser() user: AuthUser, @MessageBody() dto: PinMessageDto): Promise<PinView> {
    return this.pins.pin(user, dto.messageId);
  }

  @SubscribeMessage('pin:remove')
  remove(@SocketUser() user: AuthUser, @MessageBody() dto: PinMessageDto): Promise<OkAck> {
    return this.pins.unpin(user, dto.messageId);
  }

  @SubscribeMessage('pin:list')
  list(@SocketUser() user: AuthUser, @MessageBody() dto: PinListDto): Promise<PinView[]> {
    return this.pins.list(user, dto.roomId);
  }
}
