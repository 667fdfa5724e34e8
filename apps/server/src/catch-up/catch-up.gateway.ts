import { UseFilters, UsePipes } from '@nestjs/common';
import { MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import type { MerkleReconcileResult, SyncPage } from '@palaver/client';
import { AuthUser } from '../auth/auth-user';
import { createValidationPipe } from '../common/validation';
import { SocketAckFilter } from '../realtime/socket-ack.filter';
import { SOCKET_GATEWAY_OPTIONS } from '../realtime/socket-options';
import { SocketUser } from '../realtime/socket-user.decorator';
import { MerkleReconcileDto, SyncDto } from './catch-up.dto';
import { CatchUpService } from './catch-up.service';

@WebSocketGateway(SOCKET_GATEWAY_OPTIONS)
@UseFilters(SocketAckFilter)
@UsePipes(createValidationPipe())
export class CatchUpGateway {
  constructor(private readonly catchUp: CatchUpService) {}

  @SubscribeMessage('sync')
  sync(@SocketUser() user: AuthUser, @MessageBody() dto: SyncDto): Promise<SyncPage> {
    return this.catchUp.sync(user, dto);
  }

  @SubscribeMessage('sync:merkle')
  reconcile(
    @SocketUser() user: AuthUser,
    @MessageBody() dto: MerkleReconcileDto,
  ): Promise<MerkleReconcileResult> {
    return this.catchUp.reconcile(user, dto);
  }
}
