import { Module } from '@nestjs/common';
import { MessagesModule } from '../messages/messages.module';
import { RoomsModule } from '../rooms/rooms.module';
import { ThreadsGateway } from './threads.gateway';
import { ThreadsService } from './threads.service';

@Module({
  imports: [RoomsModule, MessagesModule],
  providers: [ThreadsGateway, ThreadsService],
})
export class ThreadsModule {}
