import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { ClusterBus } from '../cluster/cluster-bus';
import { DomainError } from '../common/domain-error';
import { GridFsChunkRepository } from './gridfs-chunk.repository';
import { MediaRecord, MediaStatus } from './media.entity';
import type { MediaChunkNotice } from './media.events';
import { MediaRepository } from './media.repository';

/**
 * If no notice arrives for this long while a reader waits, it re-reads the record once: a guard against
 * a notice lost on the way (Redis briefly down), not the way readers normally learn of new bytes.
 */
export const LOST_NOTICE_RECHECK_MS = 30_000;

interface FileState {
  committedBytes: number;
  status: MediaStatus;
}

/** One reader's view of a file's progress, advanced by chunk notices. */
class FileWatch {
  version = 0;
  private seen = 0;
  private wake?: () => void;

  constructor(
    public state: FileState,
    private readonly onClose: (watch: FileWatch) => void,
  ) {}

  advance(next: FileState): void {
    const grew = next.committedBytes > this.state.committedBytes;
    const changed = next.status !== this.state.status;
    if (!grew && !changed) return;
    this.state = {
      committedBytes: Math.max(next.committedBytes, this.state.committedBytes),
      status: this.state.status === 'uploading' ? next.status : this.state.status,
    };
    this.version += 1;
    this.wake?.();
  }

  /** Resolves when the state changed since the last call (at once if it already has). */
  async changed(signal: AbortSignal | undefined, recheck: () => Promise<void>): Promise<void> {
    while (this.version === this.seen) {
      if (signal?.aborted) throw signal.reason ?? new Error('aborted');
      let timer: NodeJS.Timeout | undefined;
      let onAbort: (() => void) | undefined;
      const timedOut = await new Promise<boolean>((resolve) => {
        this.wake = () => resolve(false);
        timer = setTimeout(() => resolve(true), LOST_NOTICE_RECHECK_MS);
        onAbort = () => resolve(false);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
      this.wake = undefined;
      if (timedOut) await recheck();
    }
    this.seen = this.version;
  }

  close(): void {
    this.onClose(this);
  }
}

export class MediaUnavailableError extends DomainError {
  constructor(message: string) {
    super('gone', message);
  }
}

/**
 * Streams a media file's bytes in order: what is stored already, then — while the upload is still in
 * progress — each new chunk as its `media.chunk` notice arrives (in-process, or through Redis from the
 * node receiving the upload), ending exactly at completion. Also serves byte ranges of completed files
 * starting at the chunk that holds the first byte.
 */
@Injectable()
export class GrowingFileReader implements OnModuleInit, OnModuleDestroy {
  private readonly watches = new Map<string, Set<FileWatch>>();
  private unsubscribe?: () => void;

  constructor(
    private readonly chunks: GridFsChunkRepository,
    private readonly media: MediaRepository,
    private readonly bus: ClusterBus,
  ) {}

  onModuleInit(): void {
    this.unsubscribe = this.bus.subscribe('media.chunk', (notice) => this.onNotice(notice));
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }

  /** Readers currently following growing files (for metrics and tests). */
  get activeWatches(): number {
    let count = 0;
    for (const set of this.watches.values()) count += set.size;
    return count;
  }

  private onNotice(notice: MediaChunkNotice): void {
    for (const watch of this.watches.get(notice.mediaId) ?? []) {
      watch.advance({ committedBytes: notice.committedBytes, status: notice.status });
    }
  }

  private watch(record: MediaRecord): FileWatch {
    const watch = new FileWatch(
      { committedBytes: record.committedBytes, status: record.status },
      (closed) => {
        const set = this.watches.get(record.id);
        set?.delete(closed);
        if (set?.size === 0) this.watches.delete(record.id);
      },
    );
    const set = this.watches.get(record.id) ?? new Set();
    set.add(watch);
    this.watches.set(record.id, set);
    return watch;
  }

  /**
   * Bytes start..end (inclusive; end defaults to the end of the file, whenever that turns out to be).
   * Pass the request's abort signal so a reader that disconnects while waiting is released at once.
   */
  async *read(
    record: MediaRecord,
    options: { start?: number; end?: number; signal?: AbortSignal } = {},
  ): AsyncGenerator<Buffer> {
    const { chunkSize, id } = record;
    let pos = options.start ?? 0;
    const stopAt = options.end === undefined ? Infinity : options.end + 1;
    const watch = this.watch(record);
    const reload = async () => {
      const fresh = await this.media.findById(id);
      if (fresh) watch.advance({ committedBytes: fresh.committedBytes, status: fresh.status });
      else watch.advance({ committedBytes: watch.state.committedBytes, status: 'failed' });
    };
    try {
      // Subscribed first, then re-read: a chunk stored between the caller's read and now is not missed.
      if (record.status === 'uploading') await reload();
      for (;;) {
        const limit = Math.min(stopAt, watch.state.committedBytes);
        if (pos < limit) {
          let expected = Math.floor(pos / chunkSize);
          const last = Math.floor((limit - 1) / chunkSize);
          for await (const stored of this.chunks.readChunks(id, expected, last)) {
            if (stored.n !== expected) break;
            expected += 1;
            const from = pos - stored.n * chunkSize;
            const to = Math.min(stored.data.length, limit - stored.n * chunkSize);
            if (to > from) {
              yield stored.data.subarray(from, to);
              pos += to - from;
            }
          }
          if (pos < limit) {
            await reload();
            if (watch.state.status === 'failed') throw new MediaUnavailableError('the upload failed');
            throw new Error(`media ${id}: chunk ${Math.floor(pos / chunkSize)} is missing`);
          }
          continue;
        }
        if (pos >= stopAt || watch.state.status === 'complete') return;
        if (watch.state.status === 'failed') throw new MediaUnavailableError('the upload failed');
        await watch.changed(options.signal, reload);
      }
    } finally {
      watch.close();
    }
  }
}
