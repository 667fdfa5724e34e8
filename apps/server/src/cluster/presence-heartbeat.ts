import { Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { PRESENCE_HEARTBEAT_INTERVAL_MS, PresenceStore } from '../presence/presence.store';

/**
 * Keeps this node's presence entries alive (see PresenceStore) and, on graceful shutdown, removes them
 * at once so its users do not look online for the TTL.
 */
export class PresenceHeartbeat implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('PresenceHeartbeat');
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly store: PresenceStore,
    private readonly nodeId: string,
    private readonly intervalMs = PRESENCE_HEARTBEAT_INTERVAL_MS,
  ) {}

  onApplicationBootstrap(): void {
    void this.beat();
    this.timer = setInterval(() => void this.beat(), this.intervalMs);
    this.timer.unref();
  }

  // Runs before any connection closes (Redis closes in onApplicationShutdown).
  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    try {
      await this.store.removeNode(this.nodeId);
    } catch (err) {
      // Redis already gone: the entries expire with the node's TTL instead.
      this.logger.warn(`could not clear this node's presence: ${(err as Error).message}`);
    }
  }

  private async beat(): Promise<void> {
    try {
      await this.store.heartbeat(this.nodeId);
    } catch (err) {
      this.logger.warn(`presence heartbeat failed: ${(err as Error).message}`);
    }
  }
}
