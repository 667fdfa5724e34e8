import { Module } from '@nestjs/common';
import { MessagesModule } from '../messages/messages.module';
import { RoomsModule } from '../rooms/rooms.module';
import { ReactionsGateway } from './reactions.gateway';
import { ReactionsService } from './reactions.service';

@Module({
  imports: [RoomsModule, MessagesModule],
  providers: [ReactionsGateway, ReactionsService],
})
export class ReactionsModule {}
