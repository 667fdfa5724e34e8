import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { DomainEvents } from '../common/domain-events';
import '../messages/messages.events';
import { MessagesService } from '../messages/messages.service';
import { Broadcaster } from '../realtime/broadcaster';
import './media.events';
import { MediaService } from './media.service';

/**
 * Media in the room: an upload that starts posts its attachment message (from the uploader), progress,
 * completion and failure go to the room's sockets, and a deleted message schedules its files'
 * deletion. Listeners are idempotent (postAttachment is keyed by the media id).
 */
@Injectable()
export class MediaAnnouncer implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(MediaAnnouncer.name);
  private readonly unsubscribers: Array<() => void> = [];

  constructor(
    private readonly events: DomainEvents,
    private readonly messages: MessagesService,
    private readonly media: MediaService,
    private readonly broadcaster: Broadcaster,
  ) {}

  onModuleInit(): void {
    const b = this.broadcaster;
    this.unsubscribers.push(
      this.events.on('media.started', async (e) => {
        try {
          const ack = await this.messages.postAttachment(e.uploader, e.roomId, {
            mediaId: e.mediaId,
            name: e.name,
            declaredType: e.declaredType,
            declaredSize: e.declaredSize,
          });
          await this.media.attachMessage(e.mediaId, ack.id);
        } catch (err) {
          // The upload itself goes on; members still reach it by id.
          this.logger.warn(`upload ${e.mediaId} not announced: ${(err as Error).message}`);
        }
      }),
      this.events.on('media.progress', (e) => b.toRoom(e.roomId, 'media.progress', e)),
      this.events.on('media.completed', (e) =>
        b.toRoom(e.roomId, 'media.completed', {
          mediaId: e.mediaId,
          roomId: e.roomId,
          length: e.length,
          sha256: e.sha256,
          contentType: e.contentType,
          ...(e.width !== undefined && e.height !== undefined ? { width: e.width, height: e.height } : {}),
          thumbnailUrl: e.hasThumbnail ? `/api/media/${e.mediaId}/thumbnail` : null,
        }),
      ),
      this.events.on('media.failed', (e) =>
        b.toRoom(e.roomId, 'media.failed', {
          mediaId: e.mediaId,
          roomId: e.roomId,
          reason: e.reason,
          message: e.message,
        }),
      ),
      // The tombstone no longer lists attachments, so look the files up by message id.
      this.events.on('message.deleted', async ({ message }) => {
        try {
          await this.media.scheduleDeletionForMessage(message.id);
        } catch (err) {
          this.logger.error(
            `media of deleted message ${message.id} not scheduled: ${(err as Error).message}`,
          );
        }
      }),
    );
  }

  onModuleDestroy(): void {
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
  }
}
