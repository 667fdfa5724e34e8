import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { PresenceEvent, PresenceStatus } from '@palaver/client';
import { AuthUser } from '../auth/auth-user';
import { DomainEvents } from '../common/domain-events';
import { AppConfig } from '../config/app-config';
import '../messages/messages.events';
import { Broadcaster } from '../realtime/broadcaster';
import { roomChannel, userChannel } from '../realtime/channels';
import { RoomAccess } from '../rooms/room-access.service';
import { RoomsRepository } from '../rooms/rooms.repository';
import { PresenceStore } from './presence.store';

/** A typing indicator lives this long unless repeated. */
export const TYPING_TTL_MS = 5_000;
/** Repeated `typing:start` within this window refresh the store but are not re-broadcast. */
export const TYPING_BROADCAST_INTERVAL_MS = 3_000;
/** Bounds the per-node throttle map (entries are also dropped on stop and on send). */
const THROTTLE_ENTRIES_MAX = 10_000;

/**
 * Presence (per connection in PresenceStore; a user is online if any device is, away if all are idle,
 * offline with none) and typing indicators. A change of a user's combined status goes to every room
 * channel of the user plus their own user channel, in one emit, so each socket hears it once. Typing
 * goes to the room; it expires by itself after TYPING_TTL_MS (clients get ttlMs to do the same).
 */
@Injectable()
export class PresenceService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(PresenceService.name);
  /** `${roomId}:${userId}` -> when typing was last broadcast from this node. */
  private readonly typingBroadcastAt = new Map<string, number>();
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly store: PresenceStore,
    private readonly rooms: RoomsRepository,
    private readonly access: RoomAccess,
    private readonly broadcaster: Broadcaster,
    private readonly events: DomainEvents,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    // Sending a message ends the author's typing indicator in that room.
    this.unsubscribe = this.events.on('message.created', async ({ message, actor }) => {
      try {
        await this.endTyping(message.roomId, actor);
      } catch (err) {
        this.logger.warn(`typing not cleared: ${(err as Error).message}`);
      }
    });
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }

  async connected(user: AuthUser, socketId: string): Promise<void> {
    await this.changeStatus(user.id, () => this.store.setOnline(user.id, socketId, this.config.NODE_ID));
  }

  async disconnected(socketId: string, userId: string): Promise<void> {
    await this.changeStatus(userId, async () => void (await this.store.setOffline(socketId)));
  }

  /** This device is idle (`away`) or active again (`online`). */
  async set(user: AuthUser, socketId: string, status: 'online' | 'away'): Promise<PresenceEvent> {
    const after = await this.changeStatus(user.id, () =>
      status === 'away'
        ? this.store.setAway(socketId)
        : this.store.setOnline(user.id, socketId, this.config.NODE_ID),
    );
    return { userId: user.id, status: after };
  }

  query(userIds: string[]): Promise<Record<string, PresenceStatus>> {
    return this.store.statusOf(userIds);
  }

  async startTyping(user: AuthUser, roomId: string): Promise<void> {
    const room = await this.access.require(user, roomId, 'room.post');
    await this.store.typing(room.id, user.id, TYPING_TTL_MS);
    const key = `${room.id}:${user.id}`;
    const now = Date.now();
    const last = this.typingBroadcastAt.get(key);
    if (last !== undefined && now - last < TYPING_BROADCAST_INTERVAL_MS) return;
    if (this.typingBroadcastAt.size >= THROTTLE_ENTRIES_MAX) this.pruneThrottle(now);
    this.typingBroadcastAt.set(key, now);
    this.broadcaster.toRoom(room.id, 'typing.updated', {
      roomId: room.id,
      userId: user.id,
      username: user.username,
      typing: true,
      ttlMs: TYPING_TTL_MS,
    });
  }

  async stopTyping(user: AuthUser, roomId: string): Promise<void> {
    const room = await this.access.require(user, roomId, 'room.read');
    await this.endTyping(room.id, user);
  }

  async typingIn(user: AuthUser, roomId: string): Promise<string[]> {
    const room = await this.access.require(user, roomId, 'room.read');
    return this.store.typingIn(room.id);
  }

  /** Clears and announces the end of typing, if this node announced it as started. */
  private async endTyping(roomId: string, user: AuthUser): Promise<void> {
    const key = `${roomId}:${user.id}`;
    const wasTyping = await this.store.stopTyping(roomId, user.id);
    this.typingBroadcastAt.delete(key);
    if (!wasTyping) return;
    this.broadcaster.toRoom(roomId, 'typing.updated', {
      roomId,
      userId: user.id,
      username: user.username,
      typing: false,
      ttlMs: 0,
    });
  }

  /** Applies a connection change and announces the user's combined status if it changed. */
  private async changeStatus(userId: string, change: () => Promise<void>): Promise<PresenceStatus> {
    const before = (await this.store.statusOf([userId]))[userId] ?? 'offline';
    await change();
    const after = (await this.store.statusOf([userId]))[userId] ?? 'offline';
    if (after !== before) {
      const memberships = await this.rooms.membershipsOf(userId);
      this.broadcaster.toChannels(
        [userChannel(userId), ...memberships.map((m) => roomChannel(m.roomId))],
        'presence.updated',
        { userId, status: after },
      );
    }
    return after;
  }

  private pruneThrottle(now: number): void {
    for (const [key, at] of this.typingBroadcastAt) {
      if (now - at >= TYPING_TTL_MS) this.typingBroadcastAt.delete(key);
    }
  }
}
