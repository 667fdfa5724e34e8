import { Global, Module } from '@nestjs/common';
import { MessagesModule } from '../messages/messages.module';
import { RoomsModule } from '../rooms/rooms.module';
import { Broadcaster } from './broadcaster';
import { RealtimeFanout } from './realtime.fanout';
import { RealtimeGateway } from './realtime.gateway';

/**
 * The Socket.IO side: the connection gateway and the fan-out of domain events to sockets (the event
 * handlers are the feature gateways, in RoomsModule and MessagesModule). Global so any feature can
 * inject Broadcaster.
 */
@Global()
@Module({
  imports: [RoomsModule, MessagesModule],
  providers: [Broadcaster, RealtimeGateway, RealtimeFanout],
  exports: [Broadcaster],
})
export class RealtimeModule {}
