import { Injectable } from '@nestjs/common';
import type { PluginFile, PluginMessage, PluginRoomInfo, PluginUserInfo } from '@palaver/plugin-sdk';
import { ClusterBus } from '../cluster/cluster-bus';
import { UnavailableError } from '../common/domain-error';
import { UsersService } from '../users/users.service';
import { PluginHostBackend } from './plugin-host.backend';
import { PluginMediaRepository } from './plugin-media.repository';

/** The host API backed by the server's own services. */
@Injectable()
export class CorePluginHostBackend extends PluginHostBackend {
  constructor(
    private readonly users: UsersService,
    private readonly media: PluginMediaRepository,
    private readonly bus: ClusterBus,
  ) {
    super();
  }

  async getMessage(): Promise<PluginMessage | undefined> {
    throw new UnavailableError('reading messages needs the messages feature, which this build lacks');
  }

  async sendSystemMessage(): Promise<{ id: string }> {
    throw new UnavailableError('system messages need the messages feature, which this build lacks');
  }

  async deleteMessage(): Promise<void> {
    throw new UnavailableError('deleting messages needs the messages feature, which this build lacks');
  }

  async getUser(userId: string): Promise<PluginUserInfo | undefined> {
    const users = await this.users.getMany([userId]);
    const user = users[0];
    return user
      ? { id: user.id, username: user.username, role: user.role, createdAt: user.createdAt }
      : undefined;
  }

  async getRoom(): Promise<PluginRoomInfo | undefined> {
    throw new UnavailableError('room info needs the rooms feature, which this build lacks');
  }

  listFiles(filter: { ownerId?: string; roomId?: string }): Promise<PluginFile[]> {
    return this.media.completedFiles(filter);
  }

  /** The realtime gateway on every node disconnects the user's sockets on `auth.revoked`. */
  async disconnectUser(userId: string): Promise<void> {
    await this.bus.publish('auth.revoked', { userId, reason: 'banned' });
  }
}
