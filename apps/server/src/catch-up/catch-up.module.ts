import { Module } from '@nestjs/common';
import { MessagesModule } from '../messages/messages.module';
import { RoomsModule } from '../rooms/rooms.module';
import { CatchUpGateway } from './catch-up.gateway';
import { CatchUpService } from './catch-up.service';

/** The `sync` socket request: replay of what changed since the client's per-room cursors. */
@Module({
  imports: [RoomsModule, MessagesModule],
  providers: [CatchUpGateway, CatchUpService],
})
export class CatchUpModule {}
