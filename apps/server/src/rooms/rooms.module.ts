import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { PluginsModule } from '../plugins/plugins.module';
import { UsersModule } from '../users/users.module';
import { RoomAccessCache } from './room-access.cache';
import { RoomAccess } from './room-access.service';
import { RoomsController } from './rooms.controller';
import { RoomsGateway } from './rooms.gateway';
import { RoomsRepository } from './rooms.repository';
import { RoomDocument, RoomMemberDocument, RoomMemberSchema, RoomSchema } from './rooms.schema';
import { RoomsService } from './rooms.service';

/** Rooms, memberships and RoomAccess (the one access helper other features import). */
@Module({
  imports: [
    UsersModule,
    PluginsModule,
    MongooseModule.forFeature([
      { name: RoomDocument.name, schema: RoomSchema },
      { name: RoomMemberDocument.name, schema: RoomMemberSchema },
    ]),
  ],
  controllers: [RoomsController],
  providers: [RoomsGateway, RoomsRepository, RoomAccessCache, RoomAccess, RoomsService],
  exports: [RoomsRepository, RoomAccess, RoomsService],
})
export class RoomsModule {}
