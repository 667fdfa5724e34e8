import { Injectable } from '@nestjs/common';
import type { PinView } from '@palaver/client';
import { AuthUser } from '../auth/auth-user';
import { ConflictError, NotFoundError } from '../common/domain-error';
import { toMessageView } from '../messages/message.entity';
import { MessagesRepository } from '../messages/messages.repository';
import { Broadcaster } from '../realtime/broadcaster';
import { assertRoomPermission, RoomAccess } from '../rooms/room-access.service';
import { PinsRepository } from './pins.repository';

/** A room shows at most this many pins. */
export const PINS_MAX = 50;

/**
 * Pins per room. Rule: room moderators (owner, moderator) and admins pin and unpin any message; a member
 * pins and unpins their own messages. Changes go to the room as pin.added / pin.removed.
 */
@Injectable()
export class PinsService {
  constructor(
    private readonly pins: PinsRepository,
    private readonly messages: MessagesRepository,
    private readonly access: RoomAccess,
    private readonly broadcaster: Broadcaster,
  ) {}

  async pin(user: AuthUser, messageId: string): Promise<PinView> {
    const { message, roomId } = await this.authorize(user, messageId);
    if (message.deletedAt) throw new ConflictError('the message was deleted', 'messageId');
    if ((await this.pins.list(roomId, PINS_MAX)).length >= PINS_MAX) {
      throw new ConflictError(`a room has at most ${PINS_MAX} pins`, 'messageId');
    }
    const pinnedAt = new Date();
    const added = await this.pins.add({ roomId, messageId: message.id, pinnedBy: user.id, pinnedAt });
    const view = {
      roomId,
      pinnedBy: user.id,
      pinnedAt: pinnedAt.toISOString(),
      message: toMessageView(message),
    };
    if (added) this.broadcaster.toRoom(roomId, 'pin.added', view);
    return view;
  }

  async unpin(user: AuthUser, messageId: string): Promise<{ ok: true }> {
    const { message, roomId } = await this.authorize(user, messageId);
    if (await this.pins.remove(roomId, message.id)) {
      this.broadcaster.toRoom(roomId, 'pin.removed', { roomId, messageId: message.id });
    }
    return { ok: true };
  }

  async list(user: AuthUser, roomId: string): Promise<PinView[]> {
    const room = await this.access.require(user, roomId, 'room.read');
    const pins = await this.pins.list(room.id, PINS_MAX);
    const views: PinView[] = [];
    for (const pin of pins) {
      const message = await this.messages.findById(pin.messageId);
      if (!message) continue;
      views.push({
        roomId: pin.roomId,
        pinnedBy: pin.pinnedBy,
        pinnedAt: pin.pinnedAt.toISOString(),
        message: toMessageView(message),
      });
    }
    return views;
  }

  private async authorize(user: AuthUser, messageId: string) {
    const message = await this.messages.findById(messageId);
    if (!message) throw new NotFoundError('message', 'messageId');
    let grant;
    try {
      grant = await this.access.grant(user, message.roomId, 'room.read');
    } catch (err) {
      if (err instanceof NotFoundError) throw new NotFoundError('message', 'messageId');
      throw err;
    }
    // Own messages need the right to post; anyone else's need moderation rights.
    assertRoomPermission(
      user,
      grant.room,
      grant.membership,
      message.authorId === user.id ? 'room.post' : 'room.moderate',
    );
    return { message, roomId: grant.room.id };
  }
}
