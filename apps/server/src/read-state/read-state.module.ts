import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { MessagesModule } from '../messages/messages.module';
import { RoomsModule } from '../rooms/rooms.module';
import { ReadStateGateway } from './read-state.gateway';
import { ReadStateRepository } from './read-state.repository';
import { ReadMarkerDocument, ReadMarkerSchema } from './read-state.schema';
import { ReadStateService } from './read-state.service';

@Module({
  imports: [
    RoomsModule,
    MessagesModule,
    MongooseModule.forFeature([{ name: ReadMarkerDocument.name, schema: ReadMarkerSchema }]),
  ],
  providers: [ReadStateGateway, ReadStateRepository, ReadStateService],
})
export class ReadStateModule {}
