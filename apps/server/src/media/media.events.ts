import type { AuthUser } from '../auth/auth-user';
import type { MediaStatus } from './media.entity';

/** Published on the cluster bus after every stored chunk and on every status change. */
export interface MediaChunkNotice {
  mediaId: string;
  /** Bytes stored so far; readers may read every byte below this offset. */
  committedBytes: number;
  status: MediaStatus;
}

export interface MediaAnnouncement {
  mediaId: string;
  roomId: string;
  uploader: AuthUser;
  name: string;
  declaredType: string;
  declaredSize: number;
}

export interface MediaProgressEvent {
  mediaId: string;
  roomId: string;
  committedBytes: number;
  declaredSize: number;
}

export interface MediaCompletedEvent {
  mediaId: string;
  roomId: string;
  uploaderId: string;
  length: number;
  sha256: string;
  contentType: string;
  width?: number;
  height?: number;
  hasThumbnail: boolean;
}

export interface MediaFailedEvent {
  mediaId: string;
  roomId: string;
  uploaderId: string;
  /** `aborted` when the uploader terminated it, `rejected` by a policy, `abandoned` by the sweeper. */
  reason: 'aborted' | 'rejected' | 'abandoned' | 'error';
  message: string;
}

export interface MediaDeletedEvent {
  mediaId: string;
  roomId: string;
  /** With status and bytes: lets storage quotas give the space back. */
  uploaderId: string;
  status: MediaStatus;
  /** Bytes the file held in GridFS. */
  bytes: number;
  name: string;
  contentType: string;
}

declare module '../cluster/cluster-bus' {
  interface BusChannels {
    'media.chunk': MediaChunkNotice;
  }
}

declare module '../common/domain-events' {
  interface DomainEventMap {
    /** An upload was accepted; its attachment message should appear in the room. */
    'media.started': MediaAnnouncement;
    /** Throttled upload progress (at most one per MEDIA_PROGRESS_INTERVAL_MS per upload). */
    'media.progress': MediaProgressEvent;
    'media.completed': MediaCompletedEvent;
    'media.failed': MediaFailedEvent;
    /** The file, its chunks and thumbnail were removed (message deleted, grace period over). */
    'media.deleted': MediaDeletedEvent;
  }
}
