import { UseFilters, UsePipes } from '@nestjs/common';
import { MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import type { ThreadPage } from '@palaver/client';
import { AuthUser } from '../auth/auth-user';
import { createValidationPipe } from '../common/validation';
import { SocketAckFilter } from '../realtime/socket-ack.filter';
import { SOCKET_GATEWAY_OPTIONS } from '../realtime/socket-options';
import { SocketUser } from '../realtime/socket-user.decorator';
import { ThreadHistoryDto } from './threads.dto';
import { ThreadsService } from './threads.service';

@WebSocketGateway(SOCKET_GATEWAY_OPTIONS)
@UseFilters(SocketAckFilter)
@UsePipes(createValidationPipe())
export class ThreadsGateway {
  constructor(private readonly threads: ThreadsService) {}

  @SubscribeMessage('thread:history')
  history(@SocketUser() user: AuthUser, @MessageBody() dto: ThreadHistoryDto): Promise<ThreadPage> {
    return this.threads.history(user, dto);
  }
}
