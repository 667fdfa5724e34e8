import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { PluginsModule } from '../plugins/plugins.module';
import { RoomsModule } from '../rooms/rooms.module';
import { MessagesController } from './messages.controller';
import { MessagesGateway } from './messages.gateway';
import { MessagesRepository } from './messages.repository';
import { MessageDocument, MessageSchema } from './messages.schema';
import { MessagesService } from './messages.service';

@Module({
  imports: [
    RoomsModule,
    PluginsModule,
    MongooseModule.forFeature([{ name: MessageDocument.name, schema: MessageSchema }]),
  ],
  controllers: [MessagesController],
  providers: [MessagesGateway, MessagesRepository, MessagesService],
  exports: [MessagesRepository, MessagesService],
})
export class MessagesModule {}
