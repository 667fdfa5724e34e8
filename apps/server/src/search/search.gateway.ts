import { UseFilters, UsePipes } from '@nestjs/common';
import { MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import type { SearchPage } from '@palaver/client';
import { AuthUser } from '../auth/auth-user';
import { createValidationPipe } from '../common/validation';
import { SocketAckFilter } from '../realtime/socket-ack.filter';
import { SOCKET_GATEWAY_OPTIONS } from '../realtime/socket-options';
import { SocketUser } from '../realtime/socket-user.decorator';
import { SearchDto } from './search.dto';
import { SearchService } from './search.service';

@WebSocketGateway(SOCKET_GATEWAY_OPTIONS)
@UseFilters(SocketAckFilter)
@UsePipes(createValidationPipe())
export class SearchGateway {
  constructor(private readonly searchService: SearchService) {}

  @SubscribeMessage('search:messages')
  search(@SocketUser() user: AuthUser, @MessageBody() dto: SearchDto): Promise<SearchPage> {
    return this.searchService.search(user, dto);
  }
}
