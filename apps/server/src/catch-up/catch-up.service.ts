import { Injectable } from '@nestjs/common';
import type { SyncPage, SyncPayload } from '@palaver/client';
import { AuthUser } from '../auth/auth-user';
import { ForbiddenError, NotFoundError } from '../common/domain-error';
import { toMessageView } from '../messages/message.entity';
import { MessagesRepository } from '../messages/messages.repository';
import { RoomAccess } from '../rooms/room-access.service';
import { SYNC_PAGE_DEFAULT, SYNC_PAGE_MAX } from './catch-up.dto';

/**
 * Catch-up: what changed in each room after the client's cursor (its highest applied changeSeq), in
 * changeSeq order, one bounded page per request. Every change stamps the message's changeSeq, so a
 * message edited three times while the client was away is replayed once, at its latest state; the
 * client applies it if its changeSeq is higher than the copy it holds (idempotent, so the overlap with
 * live events received meanwhile is harmless — see docs/realtime.md, "Catch-up").
 */
@Injectable()
export class CatchUpService {
  constructor(
    private readonly messages: MessagesRepository,
    private readonly access: RoomAccess,
  ) {}

  async sync(user: AuthUser, input: SyncPayload): Promise<SyncPage> {
    const limit = Math.min(Math.max(input.limit ?? SYNC_PAGE_DEFAULT, 1), SYNC_PAGE_MAX);
    const page: SyncPage = { changes: [], pending: {}, denied: [] };
    for (const [roomId, cursor] of Object.entries(input.rooms)) {
      const room = limit - page.changes.length;
      if (room === 0) {
        page.pending[roomId] = cursor;
        continue;
      }
      try {
        await this.access.require(user, roomId, 'room.read');
      } catch (err) {
        if (err instanceof NotFoundError || err instanceof ForbiddenError) {
          page.denied.push(roomId);
          continue;
        }
        throw err;
      }
      // One row more than fits says whether the room has more to replay.
      const rows = await this.messages.changedSince(roomId, cursor, room + 1);
      const taken = rows.slice(0, room);
      page.changes.push(...taken.map(toMessageView));
      if (rows.length > room) page.pending[roomId] = taken[taken.length - 1].changeSeq;
    }
    return page;
  }
}
