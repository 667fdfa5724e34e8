import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { MediaService } from './media.service';

/**
 * Periodically fails uploads that received no bytes for UPLOAD_ABANDONED_SECONDS (deleting their
 * chunks) and purges files whose message was deleted once their grace period is over. Safe on
 * several nodes at once: each abandoned upload is claimed by one atomic update.
 */
@Injectable()
export class MediaSweeper implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(MediaSweeper.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly media: MediaService,
    private readonly config: AppConfig,
  ) {}

  /** Half the abandonment TTL, between 1 s and 60 s: an idle upload is failed within 1.5 × TTL. */
  get intervalMs(): number {
    return Math.min(60_000, Math.max(1_000, (this.config.UPLOAD_ABANDONED_SECONDS * 1000) / 2));
  }

  onModuleInit(): void {
    this.timer = setInterval(() => void this.sweep(), this.intervalMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass; overlapping calls share the pass in progress. */
  sweep(): Promise<void> {
    this.running ??= (async () => {
      try {
        const abandoned = await this.media.sweepAbandoned();
        const purged = await this.media.purgeDeleted();
        if (abandoned || purged) this.logger.log(`media sweep: ${abandoned} abandoned, ${purged} purged`);
      } catch (err) {
        this.logger.warn(`media sweep failed: ${(err as Error).message}`);
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }
}
