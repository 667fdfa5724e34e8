import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { MessagesModule } from '../messages/messages.module';
import { RoomsModule } from '../rooms/rooms.module';
import { PinsGateway } from './pins.gateway';
import { PinsRepository } from './pins.repository';
import { PinDocument, PinSchema } from './pins.schema';
import { PinsService } from './pins.service';

@Module({
  imports: [
    RoomsModule,
    MessagesModule,
    MongooseModule.forFeature([{ name: PinDocument.name, schema: PinSchema }]),
  ],
  providers: [PinsGateway, PinsRepository, PinsService],
})
export class PinsModule {}
