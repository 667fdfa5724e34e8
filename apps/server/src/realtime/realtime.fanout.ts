import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { DomainEvents } from '../common/domain-events';
import { MetricsService } from '../health/metrics.service';
import '../messages/messages.events';
import '../rooms/rooms.events';
import { Broadcaster } from './broadcaster';

/**
 * Turns message.* and room.* domain events into socket events and channel changes. Each event is
 * emitted once to a channel, so every socket in it receives it exactly once.
 */
@Injectable()
export class RealtimeFanout implements OnModuleInit, OnModuleDestroy {
  private readonly unsubscribers: Array<() => void> = [];

  constructor(
    private readonly events: DomainEvents,
    private readonly broadcaster: Broadcaster,
    private readonly metrics: MetricsService,
  ) {}

  onModuleInit(): void {
    const b = this.broadcaster;
    this.unsubscribers.push(
      this.events.on('message.created', ({ message }) => {
        this.metrics.messagesAccepted.inc();
        b.toRoom(message.roomId, 'message.created', message);
      }),
      this.events.on('message.updated', ({ message }) =>
        b.toRoom(message.roomId, 'message.updated', message),
      ),
      this.events.on('message.deleted', ({ message }) =>
        b.toRoom(message.roomId, 'message.deleted', message),
      ),
      this.events.on('room.updated', ({ room }) => b.toRoom(room.id, 'room.updated', room)),
      this.events.on('room.member.joined', ({ room, member }) => {
        // Join first, so the new member's sockets also get the room-wide announcement.
        b.joinUserToRoom(member.userId, room.id);
        b.toUser(member.userId, 'room.added', room);
        b.toRoom(room.id, 'room.member.joined', { roomId: room.id, ...member });
      }),
      this.events.on('room.member.left', ({ roomId, userId, reason, actor }) => {
        b.removeUserFromRoom(userId, roomId);
        b.toUser(userId, 'room.removed', { roomId, reason });
        b.toRoom(roomId, 'room.member.left', {
          roomId,
          userId,
          reason,
          ...(reason === 'kicked' ? { by: actor.id } : {}),
        });
      }),
      this.events.on('room.deleted', ({ roomId }) => {
        b.toRoom(roomId, 'room.removed', { roomId, reason: 'deleted' });
        b.closeRoom(roomId);
      }),
    );
  }

  onModuleDestroy(): void {
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
  }
}
