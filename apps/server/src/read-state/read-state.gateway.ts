import { UseFilters, UsePipes } from '@nestjs/common';
import { MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import type { ReadMarkerView, RoomReadState } from '@palaver/client';
import { AuthUser } from '../auth/auth-user';
import { createValidationPipe } from '../common/validation';
import { SocketAckFilter } from '../realtime/socket-ack.filter';
import { SOCKET_GATEWAY_OPTIONS } from '../realtime/socket-options';
import { SocketUser } from '../realtime/socket-user.decorator';
import { ReadMarkDto } from './read-state.dto';
import { ReadStateService } from './read-state.service';

@WebSocketGateway(SOCKET_GATEWAY_OPTIONS)
@UseFilters(SocketAckFilter)
@UsePipes(createValidationPipe())
export class ReadStateGateway {
  constructor(private readonly readState: ReadStateService) {}

  @SubscribeMessage('read:mark')
  mark(@SocketUser() user: AuthUser, @MessageBody() dto: ReadMarkDto): Promise<ReadMarkerView> {
    return this.readState.mark(user, dto.roomId, dto.seq);
  }

  @SubscribeMessage('read:states')
  states(@SocketUser() user: AuthUser): Promise<RoomReadState[]> {
    return this.readState.states(user);
  }
}
