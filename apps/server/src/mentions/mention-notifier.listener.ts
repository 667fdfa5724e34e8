import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { DomainEvents } from '../common/domain-events';
import { MessageView } from '../messages/message.entity';
import '../messages/messages.events';
import { Broadcaster } from '../realtime/broadcaster';
import { RoomsRepository } from '../rooms/rooms.repository';
import { parseMentions, ROOM_MENTION } from './mention-parser';

/** Members looked at for one message; rooms are far smaller than this. */
const MEMBERS_MAX = 10_000;
const EXCERPT_LENGTH = 200;

/**
 * Sends `notification` to the user channel of each member a new message mentions (`@username`, or every
 * member but the author for `@room`), so every device of theirs hears it whatever room it shows.
 * Only members are notified: mentioning someone outside the room tells them nothing. Edits that add a
 * mention do not notify (the mention still counts in read state).
 */
@Injectable()
export class MentionNotifier implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(MentionNotifier.name);
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly events: DomainEvents,
    private readonly rooms: RoomsRepository,
    private readonly broadcaster: Broadcaster,
  ) {}

  onModuleInit(): void {
    this.unsubscribe = this.events.on('message.created', async ({ message }) => {
      try {
        await this.notify(message);
      } catch (err) {
        this.logger.error(`mentions of message ${message.id} not notified: ${(err as Error).message}`);
      }
    });
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }

  async notify(message: MessageView): Promise<void> {
    const mentions = parseMentions(message.text);
    if (mentions.length === 0) return;
    const roomWide = mentions.includes(ROOM_MENTION);
    const named = new Set(mentions);
    const members = await this.rooms.membersOf(message.roomId, MEMBERS_MAX);
    for (const member of members) {
      if (member.userId === message.authorId) continue;
      const isNamed = named.has(member.username.toLowerCase());
      if (!roomWide && !isNamed) continue;
      this.broadcaster.toUser(member.userId, 'notification', {
        kind: 'mention',
        roomId: message.roomId,
        messageId: message.id,
        seq: message.seq,
        authorId: message.authorId,
        authorUsername: message.authorUsername,
        excerpt: message.text.slice(0, EXCERPT_LENGTH),
        roomWide: roomWide && !isNamed,
      });
    }
  }
}
