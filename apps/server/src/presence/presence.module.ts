import { Module } from '@nestjs/common';
import { RoomsModule } from '../rooms/rooms.module';
import { PresenceGateway } from './presence.gateway';
import { PresenceService } from './presence.service';

/** Presence and typing over the cluster's PresenceStore (in memory, or Redis when clustered). */
@Module({
  imports: [RoomsModule],
  providers: [PresenceGateway, PresenceService],
})
export class PresenceModule {}
