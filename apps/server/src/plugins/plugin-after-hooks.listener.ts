import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { DomainEvents } from '../common/domain-events';
import '../media/media.events';
import '../messages/messages.events';
import { HookRunner } from './hook-runner';
import { toPluginMessage, toPluginUser } from './hook-payloads';

/**
 * Runs notify hooks off domain events, after the action is done and acknowledged, so a slow plugin never
 * delays the sender. HookRunner.notify never throws.
 */
@Injectable()
export class PluginAfterHooksListener implements OnModuleInit, OnModuleDestroy {
  private readonly unsubscribers: Array<() => void> = [];

  constructor(
    private readonly events: DomainEvents,
    private readonly hooks: HookRunner,
  ) {}

  onModuleInit(): void {
    this.unsubscribers.push(
      this.events.on('message.created', ({ message, actor }) => {
        if (!this.hooks.has('message.afterSend')) return;
        void this.hooks.notify('message.afterSend', {
          user: toPluginUser(actor),
          message: toPluginMessage(message),
        });
      }),
      this.events.on('media.failed', ({ mediaId, roomId, uploaderId, reason }) => {
        if (!this.hooks.has('upload.afterFail')) return;
        void this.hooks.notify('upload.afterFail', {
          upload: { uploadId: mediaId, roomId, ownerId: uploaderId },
          reason,
        });
      }),
      this.events.on('media.deleted', (file) => {
        // Deleted with its message while still arriving: the upload ends here, without a file.
        if (file.status === 'uploading' && this.hooks.has('upload.afterFail')) {
          void this.hooks.notify('upload.afterFail', {
            upload: { uploadId: file.mediaId, roomId: file.roomId, ownerId: file.uploaderId },
            reason: 'deleted',
          });
        }
        // Only completed files were ever counted as stored (upload.afterComplete).
        if (file.status !== 'complete' || !this.hooks.has('upload.afterDelete')) return;
        void this.hooks.notify('upload.afterDelete', {
          file: {
            id: file.mediaId,
            roomId: file.roomId,
            ownerId: file.uploaderId,
            filename: file.name,
            contentType: file.contentType,
            bytes: file.bytes,
          },
        });
      }),
    );
  }

  onModuleDestroy(): void {
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
  }
}
