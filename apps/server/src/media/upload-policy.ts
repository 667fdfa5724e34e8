import { Injectable } from '@nestjs/common';

/** Who is uploading what, where: the facts every upload hook sees. */
export interface UploadContext {
  mediaId: string;
  roomId: string;
  uploader: { id: string; username: string; role: 'admin' | 'moderator' | 'member' };
  /** As declared by the client (tus metadata `filename`). */
  filename: string;
  /** As declared by the client (tus metadata `type`); the served type is sniffed from the bytes. */
  declaredType: string;
  /** Upload-Length as declared by the client. */
  declaredSize: number;
}

/** One store request's worth of bytes: one chunk, or up to 4 consecutive full chunks. */
export interface UploadChunkContext extends UploadContext {
  /** Bytes received once this request is stored (the running count a quota compares against). */
  receivedBytes: number;
  /** Bytes this request adds. */
  chunkBytes: number;
}

export interface UploadCompleteContext extends UploadContext {
  length: number;
  sha256: string;
  /** Sniffed from the bytes. */
  contentType: string;
}

/**
 * Hook points around an upload, bound by the plugin host (storage quota, moderation).
 * - beforeStart: throw RejectedError / PayloadTooLargeError to refuse the upload (nothing is stored).
 * - onChunk: runs before each store request (one chunk, or up to 4 consecutive full chunks when bytes
 *   arrive faster than they are stored: at least once per 1020 KiB), counting every byte it stores;
 *   throwing aborts the upload mid-stream: it becomes `failed` with the error's message and every
 *   chunk already stored is removed.
 * - afterComplete: runs once the file is complete; errors are logged, never undo the upload.
 */
export abstract class UploadPolicy {
  abstract beforeStart(ctx: UploadContext): Promise<void>;
  abstract onChunk(ctx: UploadChunkContext): Promise<void>;
  abstract afterComplete(ctx: UploadCompleteContext): Promise<void>;
}

/** The default when no plugin host is bound: every upload within UPLOAD_MAX_BYTES is allowed. */
@Injectable()
export class AllowAllUploadPolicy extends UploadPolicy {
  async beforeStart(_ctx: UploadContext): Promise<void> {}
  async onChunk(_ctx: UploadChunkContext): Promise<void> {}
  async afterComplete(_ctx: UploadCompleteContext): Promise<void> {}
}
