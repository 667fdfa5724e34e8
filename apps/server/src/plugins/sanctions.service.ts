import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import type { Sanction } from '@palaver/plugin-sdk';
import { ClusterBus } from '../cluster/cluster-bus';
import { ForbiddenError, RejectedError } from '../common/domain-error';
import { PluginsRepository, type SanctionRecord } from './plugins.repository';

declare module '../cluster/cluster-bus' {
  interface BusChannels {
    /** A user's mutes or bans changed; every node reloads that user's sanctions. */
    'plugins.sanctions': { userId: string };
  }
}

/**
 * Mutes and bans issued through the host API. Active sanctions are held in memory on every node (they are
 * few) so checking them costs nothing on the send path; changes travel over the cluster bus.
 */
@Injectable()
export class SanctionsService implements OnModuleDestroy {
  private readonly log = new Logger('Plugins');
  private readonly byUser = new Map<string, SanctionRecord[]>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly repository: PluginsRepository,
    private readonly bus: ClusterBus,
  ) {
    this.unsubscribe = this.bus.subscribe('plugins.sanctions', ({ userId }) => {
      this.reload(userId).catch((err: Error) => this.log.error(`reloading sanctions failed: ${err.message}`));
    });
  }

  onModuleDestroy(): void {
    this.unsubscribe();
  }

  async load(): Promise<void> {
    this.byUser.clear();
    for (const sanction of await this.repository.activeSanctions(new Date())) {
      this.byUser.set(sanction.userId, [...(this.byUser.get(sanction.userId) ?? []), sanction]);
    }
  }

  private async reload(userId: string): Promise<void> {
    const active = await this.repository.activeSanctions(new Date(), userId);
    if (active.length > 0) this.byUser.set(userId, active);
    else this.byUser.delete(userId);
  }

  async add(sanction: Omit<SanctionRecord, 'id' | 'createdAt'>): Promise<void> {
    if (sanction.kind === 'ban') await this.repository.removeSanctions(sanction.userId, 'ban', null);
    else await this.repository.removeSanctions(sanction.userId, 'mute', sanction.roomId);
    await this.repository.addSanction({ ...sanction, createdAt: new Date() });
    await this.reload(sanction.userId);
    await this.bus.publish('plugins.sanctions', { userId: sanction.userId });
  }

  async remove(userId: string, kind: 'mute' | 'ban', roomId: string | null): Promise<void> {
    await this.repository.removeSanctions(userId, kind, roomId);
    await this.reload(userId);
    await this.bus.publish('plugins.sanctions', { userId });
  }

  list(userId: string): Sanction[] {
    return this.active(userId).map((s) => ({
      kind: s.kind,
      userId: s.userId,
      ...(s.roomId ? { roomId: s.roomId } : {}),
      ...(s.until ? { until: s.until.toISOString() } : {}),
      reason: s.reason,
      by: s.by,
    }));
  }

  /** Throws when a ban (or, for posting, a mute in this room or everywhere) stops the user. */
  assertMayPost(userId: string, roomId: string): void {
    for (const s of this.active(userId)) {
      if (s.kind === 'ban') throw new ForbiddenError(banMessage(s));
      if (s.roomId === null || s.roomId === roomId) {
        throw new RejectedError(
          `you are muted${s.until ? ` until ${s.until.toISOString()}` : ''}: ${s.reason}`,
        );
      }
    }
  }

  assertNotBanned(userId: string): void {
    const ban = this.active(userId).find((s) => s.kind === 'ban');
    if (ban) throw new ForbiddenError(banMessage(ban));
  }

  private active(userId: string): SanctionRecord[] {
    const all = this.byUser.get(userId);
    if (!all) return [];
    const now = Date.now();
    return all.filter((s) => s.until === null || s.until.getTime() > now);
  }
}

function banMessage(ban: SanctionRecord): string {
  return `you are banned${ban.until ? ` until ${ban.until.toISOString()}` : ''}: ${ban.reason}`;
}
