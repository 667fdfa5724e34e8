import { Injectable } from '@nestjs/common';
import type { PluginUpload } from '@palaver/plugin-sdk';
import {
  UploadPolicy,
  type UploadChunkContext,
  type UploadCompleteContext,
  type UploadContext,
} from '../media/upload-policy';
import { HookRunner } from './hook-runner';

function toUpload(ctx: UploadContext): PluginUpload {
  return {
    uploadId: ctx.mediaId,
    roomId: ctx.roomId,
    filename: ctx.filename,
    contentType: ctx.declaredType,
    declaredBytes: ctx.declaredSize,
  };
}

/** Media's upload hook points, answered by plugins' upload.* hooks (storage quota, moderation). */
@Injectable()
export class PluginUploadPolicy extends UploadPolicy {
  constructor(private readonly hooks: HookRunner) {
    super();
  }

  async beforeStart(ctx: UploadContext): Promise<void> {
    await this.hooks.gate('upload.beforeStart', { user: ctx.uploader, upload: toUpload(ctx) });
  }

  async onChunk(ctx: UploadChunkContext): Promise<void> {
    if (!this.hooks.has('upload.onChunk')) return;
    await this.hooks.gate('upload.onChunk', {
      user: ctx.uploader,
      upload: toUpload(ctx),
      chunkBytes: ctx.chunkBytes,
      receivedBytes: ctx.receivedBytes,
    });
  }

  async afterComplete(ctx: UploadCompleteContext): Promise<void> {
    await this.hooks.notify('upload.afterComplete', {
      user: ctx.uploader,
      file: {
        id: ctx.mediaId,
        roomId: ctx.roomId,
        ownerId: ctx.uploader.id,
        filename: ctx.filename,
        contentType: ctx.contentType,
        bytes: ctx.length,
      },
    });
  }
}
