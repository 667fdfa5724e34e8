import { Injectable, Logger, OnModuleDestroy, OnModuleInit, Optional } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { ClusterBus } from '../cluster/cluster-bus';
import { DomainEvents } from '../common/domain-events';
import { RoomAccessState, RoomRole } from './room.entity';
import './rooms.events';

declare module '../cluster/cluster-bus' {
  interface BusChannels {
    /** Access to a room changed (one member's, or everyone's when userId is absent): drop cached entries. */
    'rooms.access': { roomId: string; userId?: string };
  }
}

/** One user's access to one room as read at `room.accessVersion`. */
export interface CachedRoomAccess {
  room: RoomAccessState;
  /** The user's role in the room, or null when not a member. */
  role: RoomRole | null;
}

/** Room/user pairs kept per node (an entry is a few hundred bytes; the least recently used go first). */
export const ROOM_ACCESS_CACHE_MAX = 20_000;

/**
 * Rooms and memberships as this node last read them, so the send path decides access without a read.
 * An entry is only a starting point: RoomAccess.confirm compares its version with the one the room's
 * counter write returns and re-reads when they differ, which is what keeps a kicked member out on every
 * node. The invalidations here (local domain events, and the cluster bus for other nodes) only keep
 * entries fresh, so that they rarely need that re-read; nothing depends on when they arrive.
 */
@Injectable()
export class RoomAccessCache implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger(RoomAccessCache.name);
  private readonly entries = new LRUCache<string, CachedRoomAccess>({ max: ROOM_ACCESS_CACHE_MAX });
  private readonly unsubscribers: (() => void)[] = [];

  constructor(
    @Optional() private readonly events?: DomainEvents,
    @Optional() private readonly bus?: ClusterBus,
  ) {}

  onModuleInit(): void {
    const { events, bus } = this;
    if (events) {
      this.unsubscribers.push(
        events.on('room.member.joined', ({ room, member }) => this.changed(room.id, member.userId)),
        events.on('room.member.left', ({ roomId, userId }) => this.changed(roomId, userId)),
        events.on('room.updated', ({ room }) => this.changed(room.id)),
        events.on('room.deleted', ({ roomId }) => this.changed(roomId)),
      );
    }
    if (bus) {
      this.unsubscribers.push(
        bus.subscribe('rooms.access', ({ roomId, userId }) => this.forget(roomId, userId)),
      );
    }
  }

  onModuleDestroy(): void {
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
  }

  get size(): number {
    return this.entries.size;
  }

  get(roomId: string, userId: string): CachedRoomAccess | undefined {
    return this.entries.get(key(roomId, userId));
  }

  set(roomId: string, userId: string, entry: CachedRoomAccess): void {
    this.entries.set(key(roomId, userId), entry);
  }

  /** Drops one member's entry, or every entry of the room when `userId` is absent. */
  forget(roomId: string, userId?: string): void {
    if (userId !== undefined) {
      this.entries.delete(key(roomId, userId));
      return;
    }
    // Room-wide changes (archive, delete) are rare: a scan of the bounded cache is fine.
    const prefix = key(roomId, '');
    const stale = [...this.entries.keys()].filter((k) => k.startsWith(prefix));
    for (const k of stale) this.entries.delete(k);
  }

  /** A change made on this node: forget it here at once and tell the other nodes. */
  private changed(roomId: string, userId?: string): void {
    this.forget(roomId, userId);
    this.bus
      ?.publish('rooms.access', userId === undefined ? { roomId } : { roomId, userId })
      .catch((err: Error) => this.log.warn(`access change of room ${roomId} not published: ${err.message}`));
  }
}

function key(roomId: string, userId: string): string {
  return `${roomId}\u0000${userId}`;
}
