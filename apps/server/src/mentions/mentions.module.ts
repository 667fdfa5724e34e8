import { Module } from '@nestjs/common';
import { RoomsModule } from '../rooms/rooms.module';
import { MentionNotifier } from './mention-notifier.listener';

@Module({
  imports: [RoomsModule],
  providers: [MentionNotifier],
})
export class MentionsModule {}
