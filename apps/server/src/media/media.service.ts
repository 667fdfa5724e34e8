import { Injectable, Logger } from '@nestjs/common';
import { createHash, Hash, randomBytes } from 'node:crypto';
import { AuthUser } from '../auth/auth-user';
import { ClusterBus } from '../cluster/cluster-bus';
import {
  ConflictError,
  DomainError,
  ForbiddenError,
  NotFoundError,
  PayloadTooLargeError,
  UnavailableError,
  ValidationFailedError,
} from '../common/domain-error';
import { DomainEvents } from '../common/domain-events';
import { AppConfig } from '../config/app-config';
import { RoomAccess } from '../rooms/room-access.service';
import { GridFsChunkRepository } from './gridfs-chunk.repository';
import { MEDIA_CHUNK_SIZE, MediaRecord } from './media.entity';
import './media.events';
import { MediaInspector, THUMBNAIL_TYPE } from './media-inspector';
import { isVerifiedMediaLink, MediaReader } from './media-link.signer';
import { MediaRepository } from './media.repository';
import { ChunkStoreFailure, UploadChunkWriter } from './upload-chunk-writer';
import { UploadContext, UploadPolicy } from './upload-policy';

/** At most one `media.progress` event per upload per interval. */
export const MEDIA_PROGRESS_INTERVAL_MS = 500;
/**
 * How often an upload in progress writes its committed byte count to its record. Every chunk is
 * announced by a notice at once; the record only needs to be fresh for the abandonment sweep, and
 * resuming derives the offset from the stored chunks themselves.
 */
export const MEDIA_RECORD_INTERVAL_MS = 1000;
/** How long a file stays after its message is deleted (an undo window and in-flight reads). */
export const MEDIA_DELETE_GRACE_MS = 5 * 60 * 1000;

const MEDIA_ID = /^[0-9a-f]{32}$/;
const ROOM_ID = /^[A-Za-z0-9_-]{1,64}$/;

export interface StartUploadInput {
  roomId?: string | null;
  filename?: string | null;
  type?: string | null;
  size?: number;
}

/** What clients may see of a media file. */
export interface MediaView {
  id: string;
  roomId: string;
  uploaderId: string;
  messageId: string | null;
  status: MediaRecord['status'];
  name: string;
  declaredType: string;
  declaredSize: number;
  committedBytes: number;
  contentType: string | null;
  sha256: string | null;
  width: number | null;
  height: number | null;
  thumbnailUrl: string | null;
  url: string;
  failureReason: string | null;
  createdAt: string;
  completedAt: string | null;
}

/** The running sha256 of an upload's committed bytes, kept between PATCH requests on this node. */
interface RunningHash {
  hash: Hash;
  bytes: number;
  /** Last write on this node; an upload finished on another node leaves its entry here until swept. */
  touchedAt: number;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function thumbnailFileId(mediaId: string): string {
  return `${mediaId}.thumbnail`;
}

export function toMediaView(record: MediaRecord): MediaView {
  return {
    id: record.id,
    roomId: record.roomId,
    uploaderId: record.uploaderId,
    messageId: record.messageId,
    status: record.status,
    name: record.name,
    declaredType: record.declaredType,
    declaredSize: record.declaredSize,
    committedBytes: record.committedBytes,
    contentType: record.contentType,
    sha256: record.sha256,
    width: record.width,
    height: record.height,
    thumbnailUrl: record.hasThumbnail ? `/api/media/${record.id}/thumbnail` : null,
    url: `/api/media/${record.id}`,
    failureReason: record.failureReason,
    createdAt: record.createdAt.toISOString(),
    completedAt: record.completedAt?.toISOString() ?? null,
  };
}

/**
 * The rules of uploads: who may upload where, size limits, policy hooks at start / per chunk / after
 * completion, chunk notices and room events. Bytes go into GridFS chunk by chunk as they arrive,
 * through a bounded window (UploadChunkWriter: at most UPLOAD_BUFFERED_CHUNKS per upload in memory).
 */
@Injectable()
export class MediaService {
  private readonly logger = new Logger(MediaService.name);
  private readonly hashes = new Map<string, RunningHash>();
  private readonly lastProgressAt = new Map<string, number>();

  constructor(
    private readonly media: MediaRepository,
    private readonly chunks: GridFsChunkRepository,
    private readonly policy: UploadPolicy,
    private readonly access: RoomAccess,
    private readonly bus: ClusterBus,
    private readonly events: DomainEvents,
    private readonly inspector: MediaInspector,
    private readonly config: AppConfig,
  ) {}

  newMediaId(): string {
    return randomBytes(16).toString('hex');
  }

  isMediaId(id: string): boolean {
    return MEDIA_ID.test(id);
  }

  /** Validates the declared upload, checks access and the policy, and opens the growing file. */
  async startUpload(user: AuthUser, id: string, input: StartUploadInput): Promise<MediaRecord> {
    if (!this.isMediaId(id)) throw new ValidationFailedError('invalid media id', 'id');
    const roomId = input.roomId ?? '';
    if (!ROOM_ID.test(roomId)) throw new ValidationFailedError('roomId is required', 'metadata.roomId');
    const name = (input.filename ?? '').trim();
    // eslint-disable-next-line no-control-regex
    if (!name || name.length > 255 || /[\u0000-\u001f\u007f/\\]/.test(name)) {
      throw new ValidationFailedError(
        'filename must be 1-255 characters without slashes or control characters',
        'metadata.filename',
      );
    }
    const declaredType = (input.type ?? '').trim() || 'application/octet-stream';
    if (declaredType.length > 255 || !/^[\w.+-]+\/[\w.+-]+/.test(declaredType)) {
      throw new ValidationFailedError('type must be a media type like image/png', 'metadata.type');
    }
    const size = input.size;
    if (size === undefined || !Number.isSafeInteger(size) || size < 0) {
      throw new ValidationFailedError('Upload-Length is required', 'Upload-Length');
    }
    if (size > this.config.UPLOAD_MAX_BYTES) {
      throw new PayloadTooLargeError(
        `file is larger than the ${this.config.UPLOAD_MAX_BYTES} byte limit`,
        'Upload-Length',
      );
    }
    await this.access.require(user, roomId, 'media.upload');
    const ctx: UploadContext = {
      mediaId: id,
      roomId,
      uploader: { id: user.id, username: user.username, role: user.role },
      filename: name,
      declaredType,
      declaredSize: size,
    };
    await this.policy.beforeStart(ctx);
    let record = await this.media.create({
      id,
      roomId,
      uploaderId: user.id,
      name,
      declaredType,
      declaredSize: size,
      chunkSize: MEDIA_CHUNK_SIZE,
    });
    await this.events.emitAsync('media.started', {
      mediaId: id,
      roomId,
      uploader: user,
      name,
      declaredType,
      declaredSize: size,
    });
    if (size === 0) {
      this.hashes.set(id, { hash: createHash('sha256'), bytes: 0, touchedAt: Date.now() });
      record = await this.complete(user, record);
    }
    return (await this.media.findById(id)) ?? record;
  }

  /** Links the announcing message (set by the room announcer once it posted it). */
  async attachMessage(mediaId: string, messageId: string): Promise<void> {
    await this.media.setMessageId(mediaId, messageId);
  }

  /**
   * The upload as the uploader resumes it (tus HEAD): committed bytes are the offset. An upload whose
   * every byte is stored but whose completion failed to store (the files document after the last chunk)
   * is completed here: a standard tus client that sees offset = length considers it done and sends
   * nothing more. (HEAD holds the upload's lock, so no PATCH of it is running.)
   */
  async uploadState(user: AuthUser, id: string): Promise<MediaRecord> {
    const record = await this.findOwnUpload(user, id);
    if (record.status === 'failed') {
      throw new DomainError('gone', `upload ${record.failureReason ?? 'failed'}`);
    }
    const current = await this.withStoredLength(record);
    if (current.status !== 'uploading' || current.committedBytes !== current.declaredSize) return current;
    await this.runningHash(current);
    return this.complete(user, current);
  }

  /**
   * While uploading, the record's byte count may trail the chunks by up to MEDIA_RECORD_INTERVAL_MS:
   * the offset is the contiguous prefix of stored chunks from there on. Chunks beyond a gap (left by a
   * failed store in a window of several) are not counted; a PATCH removes them before it appends.
   */
  private async withStoredLength(
    record: MediaRecord,
    options: { removeStrays?: boolean } = {},
  ): Promise<MediaRecord> {
    if (record.status !== 'uploading') return record;
    const stored = await this.chunks.storedPrefix(record.id, record.chunkSize, record.committedBytes);
    if (stored.straysFrom !== null && options.removeStrays) {
      await this.chunks.deleteChunksFrom(record.id, stored.straysFrom);
    }
    return { ...record, committedBytes: Math.max(stored.bytes, record.committedBytes) };
  }

  /**
   * Appends bytes at `offset` (must equal the committed bytes). Whole chunks are stored as they fill
   * (up to UPLOAD_STORES_IN_FLIGHT store requests at once, see UploadChunkWriter), the last partial
   * chunk when the request body ends (or the connection drops), so the returned offset counts every
   * byte received. Completes the file when the declared size is reached. A failed store leaves the
   * upload resumable from the stored prefix (503); a policy refusal or excess bytes fail the upload.
   */
  async appendBytes(
    user: AuthUser,
    id: string,
    offset: number,
    body: AsyncIterable<Buffer | Uint8Array>,
  ): Promise<number> {
    let record = await this.withStoredLength(await this.findOwnUpload(user, id), { removeStrays: true });
    if (record.status !== 'uploading') {
      throw new ConflictError(`upload is ${record.status}`, 'Upload-Offset');
    }
    if (offset !== record.committedBytes) {
      throw new ConflictError(`offset must be ${record.committedBytes}`, 'Upload-Offset');
    }
    const { chunkSize, declaredSize } = record;
    const running = await this.runningHash(record);
    let storedTail: Buffer | undefined;
    if (offset % chunkSize > 0) {
      storedTail = (await this.chunks.getChunk(id, Math.floor(offset / chunkSize))) ?? undefined;
      if (!storedTail || storedTail.length < offset % chunkSize) {
        throw new ConflictError('stored bytes are missing', 'Upload-Offset');
      }
    }
    const ctx = this.contextOf(record, user);

    let recordedAt = Date.now();
    let recordedBytes = offset;
    const recordCommitted = async (committed: number): Promise<void> => {
      recordedAt = Date.now();
      if (recordedBytes === committed) return;
      if (!(await this.media.recordCommitted(id, committed))) {
        throw new ConflictError('upload is no longer in progress', 'Upload-Offset');
      }
      recordedBytes = committed;
    };

    const writer = new UploadChunkWriter({
      chunkSize,
      offset,
      storedTail,
      beforeStore: (batch) =>
        this.policy.onChunk({ ...ctx, receivedBytes: batch.receivedBytes, chunkBytes: batch.newBytes }),
      store: (batch) => this.chunks.putChunks(id, batch.first, batch.chunks, batch.replaceFirst),
      onCommitted: async (committed, added) => {
        for (const part of added) running.hash.update(part);
        running.bytes = committed;
        running.touchedAt = Date.now();
        if (Date.now() - recordedAt >= MEDIA_RECORD_INTERVAL_MS) await recordCommitted(committed);
        await this.bus.publish('media.chunk', {
          mediaId: id,
          committedBytes: committed,
          status: 'uploading',
        });
        this.progress(record, committed);
      },
    });

    let committed: number;
    let bodyError: unknown;
    const pieces = body[Symbol.asyncIterator]();
    try {
      for (;;) {
        let next: IteratorResult<Buffer | Uint8Array>;
        try {
          next = await pieces.next();
        } catch (err) {
          // The connection dropped: keep what arrived; the client resumes from the returned offset.
          bodyError = err;
          break;
        }
        if (next.done) break;
        if (writer.received + next.value.length > declaredSize) {
          throw new PayloadTooLargeError('more bytes than Upload-Length', 'Upload-Length');
        }
        await writer.write(next.value);
      }
      committed = await writer.finish();
      await recordCommitted(committed);
    } catch (err) {
      await writer.settle();
      if (err instanceof ChunkStoreFailure) throw await this.keepResumable(record, writer.committed, err);
      this.hashes.delete(id);
      await this.failUpload(record, 'rejected', err instanceof Error ? err.message : 'upload failed');
      throw err;
    }
    if (committed === declaredSize) {
      record = { ...record, committedBytes: committed };
      await this.complete(user, record);
    }
    if (bodyError) throw bodyError;
    return committed;
  }

  /**
   * A store failed (the database is unreachable, a write timed out): the upload stays open at the
   * stored prefix. Chunks stored beyond it by later requests of the window are removed (if that fails
   * too, the next HEAD or PATCH removes them), and the client resumes from the offset HEAD reports.
   */
  private async keepResumable(
    record: MediaRecord,
    committed: number,
    failure: ChunkStoreFailure,
  ): Promise<Error> {
    this.hashes.delete(record.id);
    this.logger.warn(
      `upload ${record.id}: ${failure.message} (${errorText(failure.cause)}); resumable at ${committed}`,
    );
    try {
      await this.chunks.deleteChunksFrom(record.id, Math.ceil(committed / record.chunkSize));
      if (committed > record.committedBytes) await this.media.recordCommitted(record.id, committed);
    } catch (err) {
      this.logger.warn(`upload ${record.id}: cleanup after a failed store failed too (${errorText(err)})`);
    }
    return new UnavailableError('storing the upload failed; resume from the offset HEAD reports');
  }

  /** tus termination: the uploader cancels; chunks are removed and the room learns it was aborted. */
  async terminate(user: AuthUser, id: string): Promise<void> {
    const record = await this.findOwnUpload(user, id);
    if (record.status !== 'uploading') throw new ConflictError(`upload is ${record.status}`);
    await this.failUpload(record, 'aborted', 'upload aborted by the uploader');
  }

  /** A room member's view of one media file. */
  async describe(user: AuthUser, id: string): Promise<MediaView> {
    return toMediaView(await this.readable(user, id));
  }

  /**
   * The record, after checking the user may read the room it was posted in. A verified signed link
   * for this id stands for that check (made when the link was issued, minutes ago at most).
   */
  async readable(reader: MediaReader, id: string): Promise<MediaRecord> {
    const record = this.isMediaId(id) ? await this.media.findById(id) : null;
    if (!record || record.deleteAfter) throw new NotFoundError('media', 'id');
    if (isVerifiedMediaLink(reader)) {
      if (reader.mediaId !== record.id) throw new NotFoundError('media', 'id');
    } else {
      await this.access.require(reader, record.roomId, 'room.read');
    }
    return record;
  }

  /** Fails idle uploads (no bytes for UPLOAD_ABANDONED_SECONDS) and removes their chunks. */
  async sweepAbandoned(now = new Date()): Promise<number> {
    const cutoff = new Date(now.getTime() - this.config.UPLOAD_ABANDONED_SECONDS * 1000);
    for (const [id, running] of this.hashes) {
      if (running.touchedAt < cutoff.getTime()) this.forget(id);
    }
    let swept = 0;
    for (;;) {
      const record = await this.media.claimAbandoned(cutoff, now);
      if (!record) return swept;
      swept += 1;
      await this.afterFailed(record, 'abandoned', 'upload abandoned: no bytes arrived in time');
    }
  }

  /** The announcing message was deleted: remove its files once the grace period is over. */
  async scheduleDeletionForMessage(messageId: string, now = new Date()): Promise<void> {
    await this.media.scheduleDeletion({ messageId }, new Date(now.getTime() + MEDIA_DELETE_GRACE_MS));
  }

  async scheduleDeletion(ids: string[], now = new Date()): Promise<void> {
    await this.media.scheduleDeletion({ ids }, new Date(now.getTime() + MEDIA_DELETE_GRACE_MS));
  }

  /** Deletes files whose grace period is over: chunks, files document, thumbnail, record. */
  async purgeDeleted(now = new Date()): Promise<number> {
    const due = await this.media.findDueForDeletion(now, 100);
    for (const record of due) {
      await this.chunks.deleteChunks(record.id);
      await this.chunks.deleteFilesDoc(record.id);
      await this.chunks.deleteSmallFile(thumbnailFileId(record.id));
      await this.media.delete(record.id);
      this.forget(record.id);
      await this.bus.publish('media.chunk', {
        mediaId: record.id,
        committedBytes: 0,
        status: 'failed',
      });
      this.events.emit('media.deleted', {
        mediaId: record.id,
        roomId: record.roomId,
        uploaderId: record.uploaderId,
        status: record.status,
        bytes: record.committedBytes,
        name: record.name,
        contentType: record.contentType ?? record.declaredType,
      });
    }
    return due.length;
  }

  private async findOwnUpload(user: AuthUser, id: string): Promise<MediaRecord> {
    const record = this.isMediaId(id) ? await this.media.findById(id) : null;
    if (!record || record.deleteAfter) throw new NotFoundError('upload', 'id');
    if (record.uploaderId !== user.id) throw new ForbiddenError('only the uploader may write this upload');
    return record;
  }

  private contextOf(record: MediaRecord, user: AuthUser): UploadContext {
    return {
      mediaId: record.id,
      roomId: record.roomId,
      uploader: { id: user.id, username: user.username, role: user.role },
      filename: record.name,
      declaredType: record.declaredType,
      declaredSize: record.declaredSize,
    };
  }

  /**
   * The sha256 state for the committed bytes. Uploads written by one node in one go keep it in
   * memory; after a restart (or a resume on another node) it is rebuilt by re-reading stored chunks.
   */
  private async runningHash(record: MediaRecord): Promise<RunningHash> {
    const kept = this.hashes.get(record.id);
    if (kept && kept.bytes === record.committedBytes) return kept;
    const hash = createHash('sha256');
    let bytes = 0;
    if (record.committedBytes > 0) {
      const last = Math.floor((record.committedBytes - 1) / record.chunkSize);
      for await (const stored of this.chunks.readChunks(record.id, 0, last)) {
        const data = stored.data.subarray(0, record.committedBytes - bytes);
        hash.update(data);
        bytes += data.length;
      }
    }
    if (bytes !== record.committedBytes) throw new ConflictError('stored bytes are missing', 'Upload-Offset');
    const running = { hash, bytes, touchedAt: Date.now() };
    this.hashes.set(record.id, running);
    return running;
  }

  private progress(record: MediaRecord, committedBytes: number): void {
    const now = Date.now();
    const last = this.lastProgressAt.get(record.id) ?? 0;
    if (now - last < MEDIA_PROGRESS_INTERVAL_MS && committedBytes < record.declaredSize) return;
    this.lastProgressAt.set(record.id, now);
    this.events.emit('media.progress', {
      mediaId: record.id,
      roomId: record.roomId,
      committedBytes,
      declaredSize: record.declaredSize,
    });
  }

  private async complete(user: AuthUser, record: MediaRecord): Promise<MediaRecord> {
    const running = this.hashes.get(record.id);
    const sha256 = (running ?? (await this.runningHash(record))).hash.digest('hex');
    this.forget(record.id);
    const length = record.committedBytes;
    const head =
      length > 0 ? ((await this.chunks.getChunk(record.id, 0)) ?? Buffer.alloc(0)) : Buffer.alloc(0);
    const contentType = await this.inspector.sniff(head);
    let width: number | null = null;
    let height: number | null = null;
    let hasThumbnail = false;
    if (this.inspector.canThumbnail(contentType, length)) {
      const image = await this.readWhole(record);
      const facts = await this.inspector.imageFacts(image);
      if (facts) {
        width = facts.width;
        height = facts.height;
        await this.chunks.putSmallFile(
          thumbnailFileId(record.id),
          `${record.name}.thumbnail.webp`,
          facts.thumbnail,
          THUMBNAIL_TYPE,
        );
        hasThumbnail = true;
      }
    }
    const now = new Date();
    await this.chunks.writeFilesDoc(record.id, {
      length,
      chunkSize: record.chunkSize,
      uploadDate: now,
      filename: record.name,
      metadata: { contentType, roomId: record.roomId, uploaderId: record.uploaderId, sha256 },
    });
    const facts = { committedBytes: length, contentType, sha256, width, height, hasThumbnail };
    if (!(await this.media.markComplete(record.id, facts, now))) {
      throw new ConflictError('upload is no longer in progress', 'Upload-Offset');
    }
    const completed: MediaRecord = {
      ...record,
      ...facts,
      status: 'complete',
      completedAt: now,
      updatedAt: now,
    };
    await this.bus.publish('media.chunk', { mediaId: record.id, committedBytes: length, status: 'complete' });
    this.events.emit('media.completed', {
      mediaId: record.id,
      roomId: record.roomId,
      uploaderId: record.uploaderId,
      length,
      sha256,
      contentType,
      ...(width !== null && height !== null ? { width, height } : {}),
      hasThumbnail,
    });
    try {
      await this.policy.afterComplete({ ...this.contextOf(record, user), length, sha256, contentType });
    } catch (err) {
      this.logger.warn(`upload.afterComplete failed for ${record.id}: ${(err as Error).message}`);
    }
    return completed;
  }

  private async readWhole(record: MediaRecord): Promise<Buffer> {
    const parts: Buffer[] = [];
    const last = Math.floor((record.committedBytes - 1) / record.chunkSize);
    for await (const stored of this.chunks.readChunks(record.id, 0, last)) parts.push(stored.data);
    return Buffer.concat(parts).subarray(0, record.committedBytes);
  }

  private async failUpload(
    record: MediaRecord,
    reason: 'aborted' | 'rejected' | 'error',
    message: string,
  ): Promise<void> {
    const failed = await this.media.markFailed(record.id, reason === 'rejected' ? message : reason);
    if (failed) {
      await this.afterFailed(failed, reason, message);
      return;
    }
    // Someone else failed it (sweeper, termination) while this request was storing a chunk: make sure
    // the chunk it stored afterwards does not outlive the upload.
    const current = await this.media.findById(record.id);
    if (current?.status === 'failed') await this.chunks.deleteChunks(record.id);
  }

  private async afterFailed(
    record: MediaRecord,
    reason: 'aborted' | 'rejected' | 'abandoned' | 'error',
    message: string,
  ): Promise<void> {
    this.forget(record.id);
    await this.chunks.deleteChunks(record.id);
    await this.bus.publish('media.chunk', {
      mediaId: record.id,
      committedBytes: record.committedBytes,
      status: 'failed',
    });
    this.events.emit('media.failed', {
      mediaId: record.id,
      roomId: record.roomId,
      uploaderId: record.uploaderId,
      reason,
      message,
    });
  }

  private forget(id: string): void {
    this.hashes.delete(id);
    this.lastProgressAt.delete(id);
  }
}
