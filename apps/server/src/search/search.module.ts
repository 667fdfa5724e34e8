import { Module } from '@nestjs/common';
import { MessagesModule } from '../messages/messages.module';
import { RoomsModule } from '../rooms/rooms.module';
import { SearchGateway } from './search.gateway';
import { SearchService } from './search.service';

@Module({
  imports: [RoomsModule, MessagesModule],
  providers: [SearchGateway, SearchService],
})
export class SearchModule {}
