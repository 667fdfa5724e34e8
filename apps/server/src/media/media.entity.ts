export type MediaStatus = 'uploading' | 'complete' | 'failed';

/** GridFS's default chunk size; one chunk is the most an upload ever buffers in memory. */
export const MEDIA_CHUNK_SIZE = 255 * 1024;

/** A media file (growing or complete) as the service sees it: a plain object. */
export interface MediaRecord {
  id: string;
  roomId: string;
  uploaderId: string;
  /** The message that announced this upload in the room (set once the announcement is posted). */
  messageId: string | null;
  status: MediaStatus;
  /** Client-declared facts; never trusted for serving. */
  name: string;
  declaredType: string;
  declaredSize: number;
  chunkSize: number;
  /** Bytes stored in GridFS chunks (whole chunks plus the stored part of the last one). */
  committedBytes: number;
  /** Sniffed from the stored bytes at completion. */
  contentType: string | null;
  sha256: string | null;
  width: number | null;
  height: number | null;
  hasThumbnail: boolean;
  failureReason: string | null;
  createdAt: Date;
  /** Last time bytes arrived or the status changed; the sweeper fails uploads idle too long. */
  updatedAt: Date;
  completedAt: Date | null;
  /** Set when the announcing message is deleted: the file is removed after this moment. */
  deleteAfter: Date | null;
}
