import { UseFilters, UsePipes } from '@nestjs/common';
import { MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import type { MessageHistoryPage, SendMessageAck } from '@palaver/client';
import { AuthUser } from '../auth/auth-user';
import { createValidationPipe } from '../common/validation';
import { SocketAckFilter } from '../realtime/socket-ack.filter';
import { SOCKET_GATEWAY_OPTIONS } from '../realtime/socket-options';
import { SocketUser } from '../realtime/socket-user.decorator';
import { MessageView } from './message.entity';
import { DeleteMessageDto, EditMessageDto, HistoryDto, SendMessageDto } from './messages.dto';
import { MessagesService } from './messages.service';

@WebSocketGateway(SOCKET_GATEWAY_OPTIONS)
@UseFilters(SocketAckFilter)
@UsePipes(createValidationPipe())
export class MessagesGateway {
  constructor(private readonly messages: MessagesService) {}

  @SubscribeMessage('message:send')
  send(@SocketUser() user: AuthUser, @MessageBody() dto: SendMessageDto): Promise<SendMessageAck> {
    return this.messages.send(user, dto);
  }

  @SubscribeMessage('message:edit')
  edit(@SocketUser() user: AuthUser, @MessageBody() dto: EditMessageDto): Promise<MessageView> {
    return this.messages.edit(user, dto);
  }

  @SubscribeMessage('message:delete')
  delete(@SocketUser() user: AuthUser, @MessageBody() dto: DeleteMessageDto): Promise<MessageView> {
    return this.messages.delete(user, dto.messageId);
  }

  @SubscribeMessage('message:history')
  history(@SocketUser() user: AuthUser, @MessageBody() dto: HistoryDto): Promise<MessageHistoryPage> {
    return this.messages.history(user, dto);
  }
}
