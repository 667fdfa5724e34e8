import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { ReadMarkerView, RoomReadState } from '@palaver/client';
import { AuthUser } from '../auth/auth-user';
import { DomainEvents } from '../common/domain-events';
import { ROOM_MENTION } from '../mentions/mention-parser';
import { MessagesRepository } from '../messages/messages.repository';
import { Broadcaster } from '../realtime/broadcaster';
import { RoomAccess } from '../rooms/room-access.service';
import '../rooms/rooms.events';
import { RoomsRepository } from '../rooms/rooms.repository';
import { ReadStateRepository } from './read-state.repository';

/**
 * Per-member read markers (a seq per room) and the unread / mention counts after them. A marker only
 * moves forward; when it moves, every device of the member hears `read.updated` on its user channel.
 */
@Injectable()
export class ReadStateService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(ReadStateService.name);
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly markers: ReadStateRepository,
    private readonly messages: MessagesRepository,
    private readonly rooms: RoomsRepository,
    private readonly access: RoomAccess,
    private readonly broadcaster: Broadcaster,
    private readonly events: DomainEvents,
  ) {}

  onModuleInit(): void {
    this.unsubscribe = this.events.on('room.deleted', async ({ roomId }) => {
      try {
        await this.markers.deleteRoom(roomId);
      } catch (err) {
        this.logger.error(`read markers of deleted room ${roomId} not removed: ${(err as Error).message}`);
      }
    });
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }

  /** A seq beyond the room's counter is capped to it (nothing can be read that does not exist yet). */
  async mark(user: AuthUser, roomId: string, seq: number): Promise<ReadMarkerView> {
    const room = await this.access.require(user, roomId, 'room.read');
    const capped = Math.min(seq, room.lastSeq);
    const result = await this.markers.raise(user.id, room.id, capped);
    const marker = { roomId: room.id, lastReadSeq: result.lastReadSeq };
    if (result.moved) this.broadcaster.toUser(user.id, 'read.updated', marker);
    return marker;
  }

  /** Every room the user is a member of, with counts after the marker (0 when never marked). */
  async states(user: AuthUser): Promise<RoomReadState[]> {
    const [memberships, markers] = await Promise.all([
      this.rooms.membershipsOf(user.id),
      this.markers.markersOf(user.id),
    ]);
    const mentioning = [user.username.toLowerCase(), ROOM_MENTION];
    return Promise.all(
      memberships.map(async ({ roomId }) => {
        const lastReadSeq = markers.get(roomId) ?? 0;
        const [unread, mentions] = await Promise.all([
          this.messages.countUnread(roomId, lastReadSeq, user.id),
          this.messages.countUnread(roomId, lastReadSeq, user.id, mentioning),
        ]);
        return { roomId, lastReadSeq, unread, mentions };
      }),
    );
  }
}
