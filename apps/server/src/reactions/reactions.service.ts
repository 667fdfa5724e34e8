import { Injectable } from '@nestjs/common';
import { AuthUser } from '../auth/auth-user';
import { ConflictError, NotFoundError, UnavailableError } from '../common/domain-error';
import { DomainEvents } from '../common/domain-events';
import { MessageView, toMessageView } from '../messages/message.entity';
import '../messages/messages.events';
import { MessagesRepository } from '../messages/messages.repository';
import { CHANGE_STAMP_ATTEMPTS } from '../messages/messages.service';
import { RoomAccess } from '../rooms/room-access.service';
import { RoomsRepository } from '../rooms/rooms.repository';

/** Distinct emoji one message may carry; bounds the document. */
export const REACTION_KINDS_MAX = 50;

/**
 * Reactions are part of the message: each add/remove stamps a fresh changeSeq and emits
 * message.updated, so live clients and catch-up (sync) see them like edits. Members who may post in the
 * room may react; reacting twice (or removing a reaction that is not there) changes nothing.
 */
@Injectable()
export class ReactionsService {
  constructor(
    private readonly messages: MessagesRepository,
    private readonly rooms: RoomsRepository,
    private readonly access: RoomAccess,
    private readonly events: DomainEvents,
  ) {}

  add(user: AuthUser, messageId: string, emoji: string): Promise<MessageView> {
    return this.change(user, messageId, emoji, true);
  }

  remove(user: AuthUser, messageId: string, emoji: string): Promise<MessageView> {
    return this.change(user, messageId, emoji, false);
  }

  private async change(user: AuthUser, messageId: string, emoji: string, add: boolean): Promise<MessageView> {
    const message = await this.messages.findById(messageId);
    if (!message) throw new NotFoundError('message', 'messageId');
    try {
      await this.access.require(user, message.roomId, 'room.post');
    } catch (err) {
      if (err instanceof NotFoundError) throw new NotFoundError('message', 'messageId');
      throw err;
    }
    let current = message;
    for (let attempt = 0; attempt < CHANGE_STAMP_ATTEMPTS; attempt += 1) {
      if (current.deletedAt) throw new ConflictError('the message was deleted', 'messageId');
      const users = current.reactions?.[emoji] ?? [];
      if (users.includes(user.id) === add) return toMessageView(current);
      if (add && users.length === 0) {
        const kinds = Object.values(current.reactions ?? {}).filter((ids) => ids.length > 0).length;
        if (kinds >= REACTION_KINDS_MAX) {
          throw new ConflictError(
            `a message carries at most ${REACTION_KINDS_MAX} different reactions`,
            'emoji',
          );
        }
      }
      const changeSeq = await this.rooms.nextSeq(current.roomId);
      if (changeSeq === null) throw new NotFoundError('message', 'messageId');
      const result = await this.messages.applyReaction(current.id, changeSeq, emoji, user.id, add);
      if (!result) throw new NotFoundError('message', 'messageId');
      if (result.applied) {
        const view = toMessageView(result.message);
        this.events.emit('message.updated', { message: view, actor: user });
        return view;
      }
      // A later change landed first; look again at the message as it now is, with a fresh stamp.
      current = result.message;
    }
    throw new UnavailableError('the message is changing too fast; try again');
  }
}
