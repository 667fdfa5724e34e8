import { UseFilters, UsePipes } from '@nestjs/common';
import { MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import type { MessageView } from '@palaver/client';
import { AuthUser } from '../auth/auth-user';
import { createValidationPipe } from '../common/validation';
import { SocketAckFilter } from '../realtime/socket-ack.filter';
import { SOCKET_GATEWAY_OPTIONS } from '../realtime/socket-options';
import { SocketUser } from '../realtime/socket-user.decorator';
import { ReactionDto } from './reactions.dto';
import { ReactionsService } from './reactions.service';

@WebSocketGateway(SOCKET_GATEWAY_OPTIONS)
@UseFilters(SocketAckFilter)
@UsePipes(createValidationPipe())
export class ReactionsGateway {
  constructor(private readonly reactions: ReactionsService) {}

  @SubscribeMessage('reaction:add')
  add(@SocketUser() user: AuthUser, @MessageBody() dto: ReactionDto): Promise<MessageView> {
    return this.reactions.add(user, dto.messageId, dto.emoji);
  }

  @SubscribeMessage('reaction:remove')
  remove(@SocketUser() user: AuthUser, @MessageBody() dto: ReactionDto): Promise<MessageView> {
    return this.reactions.remove(user, dto.messageId, dto.emoji);
  }
}
