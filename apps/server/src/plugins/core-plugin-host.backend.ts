import { Injectable, Type } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type {
  PluginFile,
  PluginMessage,
  PluginRoomInfo,
  PluginUser,
  PluginUserInfo,
} from '@palaver/plugin-sdk';
import type { AuthUser } from '../auth/auth-user';
import { ClusterBus } from '../cluster/cluster-bus';
import { ForbiddenError, NotFoundError } from '../common/domain-error';
import { MessagesRepository } from '../messages/messages.repository';
import { MessagesService } from '../messages/messages.service';
import { RoomAccess } from '../rooms/room-access.service';
import { RoomsRepository } from '../rooms/rooms.repository';
import { UsersService } from '../users/users.service';
import { toPluginMessage } from './hook-payloads';
import { PluginHostBackend } from './plugin-host.backend';
import { PluginMediaRepository } from './plugin-media.repository';

/**
 * The principal plugins act as when they moderate: a global admin, so room access rules let it delete in
 * any room. It never logs in and has no session.
 */
const PLUGIN_MODERATOR: AuthUser = { id: 'system', username: 'system', role: 'admin', sessionId: 'plugins' };

/**
 * The host API backed by the server's own services. Messages and rooms are looked up lazily through the
 * ModuleRef: MessagesModule and RoomsModule import PluginsModule (to run hooks), so importing them back
 * here would be a module cycle.
 */
@Injectable()
export class CorePluginHostBackend extends PluginHostBackend {
  constructor(
    private readonly moduleRef: ModuleRef,
    private readonly users: UsersService,
    private readonly media: PluginMediaRepository,
    private readonly bus: ClusterBus,
  ) {
    super();
  }

  private lookup<T>(type: Type<T>): T {
    return this.moduleRef.get(type, { strict: false });
  }

  async getMessage(messageId: string, readableBy?: PluginUser): Promise<PluginMessage | undefined> {
    const message = await this.lookup(MessagesRepository).findById(messageId);
    if (!message || message.deletedAt) return undefined;
    if (readableBy) {
      // Denied and missing look the same to the asking user: neither says the message exists.
      const viewer: AuthUser = { ...readableBy, sessionId: '' };
      const readable = await this.lookup(RoomAccess)
        .require(viewer, message.roomId, 'room.read')
        .then(() => true)
        .catch((err: unknown) => {
          if (err instanceof NotFoundError || err instanceof ForbiddenError) return false;
          throw err;
        });
      if (!readable) return undefined;
    }
    return toPluginMessage(message);
  }

  async sendSystemMessage(roomId: string, text: string, pluginId: string): Promise<{ id: string }> {
    const ack = await this.lookup(MessagesService).sendSystem(roomId, text, pluginId);
    return { id: ack.id };
  }

  async deleteMessage(messageId: string): Promise<void> {
    await this.lookup(MessagesService).delete(PLUGIN_MODERATOR, messageId);
  }

  async getUser(userId: string): Promise<PluginUserInfo | undefined> {
    const user = (await this.users.getMany([userId]))[0];
    return user
      ? { id: user.id, username: user.username, role: user.role, createdAt: user.createdAt }
      : undefined;
  }

  async getRoom(roomId: string): Promise<PluginRoomInfo | undefined> {
    const room = await this.lookup(RoomsRepository).findById(roomId);
    return room ? { id: room.id, name: room.name } : undefined;
  }

  listFiles(filter: { ownerId?: string; roomId?: string }): Promise<PluginFile[]> {
    return this.media.completedFiles(filter);
  }

  /** The realtime gateway on every node disconnects the user's sockets on `auth.revoked`. */
  async disconnectUser(userId: string): Promise<void> {
    await this.bus.publish('auth.revoked', { userId, reason: 'banned' });
  }
}
