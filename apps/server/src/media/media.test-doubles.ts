import { Readable } from 'node:stream';
import { AuthUser } from '../auth/auth-user';
import { InProcessClusterBus } from '../cluster/cluster-bus';
import { ForbiddenError } from '../common/domain-error';
import { DomainEventMap, DomainEventName, DomainEvents } from '../common/domain-events';
import { AppConfig } from '../config/app-config';
import type { RoomAccess } from '../rooms/room-access.service';
import type { GridFsChunkRepository, StoredChunk } from './gridfs-chunk.repository';
import { GrowingFileReader } from './growing-file-reader';
import { MediaDeliveryService } from './media-delivery.service';
import { MediaInspector } from './media-inspector';
import type { MediaRecord } from './media.entity';
import type { CompletedFacts, MediaRepository, NewMedia } from './media.repository';
import { MediaService } from './media.service';
import { AllowAllUploadPolicy, UploadPolicy } from './upload-policy';

/** In-memory stand-ins for the media repositories, for unit tests of the media services. */
export class InMemoryMediaRepository {
  readonly records = new Map<string, MediaRecord>();

  async create(media: NewMedia, now = new Date()): Promise<MediaRecord> {
    const record: MediaRecord = {
      ...media,
      messageId: null,
      status: 'uploading',
      committedBytes: 0,
      contentType: null,
      sha256: null,
      width: null,
      height: null,
      hasThumbnail: false,
      failureReason: null,
      createdAt: now,
      updatedAt: now,
      completedAt: null,
      deleteAfter: null,
    };
    this.records.set(media.id, record);
    return { ...record };
  }
  async findById(id: string): Promise<MediaRecord | null> {
    const record = this.records.get(id);
    return record ? { ...record } : null;
  }
  async setMessageId(id: string, messageId: string): Promise<void> {
    const record = this.records.get(id);
    if (record) record.messageId = messageId;
  }
  async recordCommitted(id: string, committedBytes: number, now = new Date()): Promise<boolean> {
    const record = this.records.get(id);
    if (record?.status !== 'uploading') return false;
    Object.assign(record, { committedBytes, updatedAt: now });
    return true;
  }
  async markComplete(id: string, facts: CompletedFacts, now = new Date()): Promise<boolean> {
    const record = this.records.get(id);
    if (record?.status !== 'uploading') return false;
    Object.assign(record, facts, { status: 'complete', updatedAt: now, completedAt: now });
    return true;
  }
  async setThumbnail(id: string, hasThumbnail: boolean): Promise<void> {
    const record = this.records.get(id);
    if (record) record.hasThumbnail = hasThumbnail;
  }
  async markFailed(id: string, reason: string, now = new Date()): Promise<MediaRecord | null> {
    const record = this.records.get(id);
    if (record?.status !== 'uploading') return null;
    Object.assign(record, { status: 'failed', failureReason: reason, updatedAt: now });
    return { ...record };
  }
  async claimAbandoned(cutoff: Date, now = new Date()): Promise<MediaRecord | null> {
    for (const record of this.records.values()) {
      if (record.status === 'uploading' && record.updatedAt < cutoff) {
        Object.assign(record, { status: 'failed', failureReason: 'abandoned', updatedAt: now });
        return { ...record };
      }
    }
    return null;
  }
  async scheduleDeletion(filter: { ids?: string[]; messageId?: string }, at: Date): Promise<void> {
    for (const record of this.records.values()) {
      if (filter.messageId ? record.messageId === filter.messageId : filter.ids?.includes(record.id)) {
        record.deleteAfter = at;
      }
    }
  }
  async findDueForDeletion(now: Date): Promise<MediaRecord[]> {
    return [...this.records.values()].filter((r) => r.deleteAfter && r.deleteAfter <= now);
  }
  async delete(id: string): Promise<void> {
    this.records.delete(id);
  }
}

export class InMemoryChunkRepository {
  readonly files = new Map<string, Map<number, Buffer>>();
  readonly filesDocs = new Map<string, { length: number }>();
  readonly small = new Map<string, { data: Buffer; uploadDate: Date }>();

  /** Runs before each store request: may delay it or throw to fail it (a failure inside a window). */
  storeGate?: (first: number, count: number) => Promise<void>;
  /** Runs before deleteChunksFrom: may throw to fail it. */
  deleteGate?: () => Promise<void>;
  /** Every store request as [first chunk, number of chunks]. */
  readonly stores: [number, number][] = [];

  async putChunks(fileId: string, first: number, data: Buffer[], replaceFirst = false): Promise<void> {
    this.stores.push([first, data.length]);
    await (this.storeGate?.(first, data.length) ?? Promise.resolve());
    const chunks = this.files.get(fileId) ?? new Map<number, Buffer>();
    data.forEach((bytes, i) => {
      const n = first + i;
      if (chunks.has(n) && !(replaceFirst && i === 0)) throw new Error(`duplicate chunk ${n}`);
      chunks.set(n, Buffer.from(bytes));
    });
    this.files.set(fileId, chunks);
  }
  async getChunk(fileId: string, n: number): Promise<Buffer | null> {
    return this.files.get(fileId)?.get(n) ?? null;
  }
  async *readChunks(fileId: string, from: number, to: number): AsyncGenerator<StoredChunk> {
    for (let n = from; n <= to; n++) {
      const data = this.files.get(fileId)?.get(n);
      if (!data) return;
      yield { n, data };
    }
  }
  async storedPrefix(
    fileId: string,
    chunkSize: number,
    fromBytes: number,
  ): Promise<{ bytes: number; straysFrom: number | null }> {
    const chunks = this.files.get(fileId) ?? new Map<number, Buffer>();
    const from = Math.floor(fromBytes / chunkSize);
    let end = from - 1;
    while (chunks.has(end + 1)) end += 1;
    const strays = [...chunks.keys()].some((n) => n > end);
    const bytes = end < from ? fromBytes : end * chunkSize + chunks.get(end)!.length;
    return { bytes, straysFrom: strays ? end + 1 : null };
  }
  async deleteChunksFrom(fileId: string, from: number): Promise<void> {
    await this.deleteGate?.();
    const chunks = this.files.get(fileId);
    for (const n of [...(chunks?.keys() ?? [])]) if (n >= from) chunks!.delete(n);
  }
  async deleteChunks(fileId: string): Promise<void> {
    this.files.delete(fileId);
  }
  async countChunks(fileId: string): Promise<number> {
    return this.files.get(fileId)?.size ?? 0;
  }
  async writeFilesDoc(fileId: string, doc: { length: number }): Promise<void> {
    this.filesDocs.set(fileId, doc);
  }
  async deleteFilesDoc(fileId: string): Promise<void> {
    this.filesDocs.delete(fileId);
  }
  async putSmallFile(fileId: string, _name: string, data: Buffer): Promise<void> {
    this.small.set(fileId, { data, uploadDate: new Date() });
  }
  async smallFileInfo(fileId: string): Promise<{ length: number; uploadDate: Date } | null> {
    const file = this.small.get(fileId);
    return file ? { length: file.data.length, uploadDate: file.uploadDate } : null;
  }
  openDownload(fileId: string): Readable {
    return Readable.from([this.small.get(fileId)?.data ?? Buffer.alloc(0)]);
  }
  async deleteSmallFile(fileId: string): Promise<void> {
    this.small.delete(fileId);
  }
  /** Every stored byte of a file, in order. */
  bytes(fileId: string): Buffer {
    const chunks = [...(this.files.get(fileId) ?? new Map<number, Buffer>()).entries()];
    return Buffer.concat(chunks.sort((a, b) => a[0] - b[0]).map(([, data]) => data));
  }
}

/** Room membership as a set of `userId:roomId`. */
export class FakeRoomAccess {
  readonly members = new Set<string>();
  async require(user: AuthUser, roomId: string): Promise<unknown> {
    if (!this.members.has(`${user.id}:${roomId}`)) throw new ForbiddenError('not a member of this room');
    return { id: roomId };
  }
}

/** Records emitted domain events by name. */
export class RecordingDomainEvents {
  readonly emitted: { name: string; payload: unknown }[] = [];
  emit<K extends DomainEventName>(name: K, payload: DomainEventMap[K]): void {
    this.emitted.push({ name, payload });
  }
  async emitAsync<K extends DomainEventName>(name: K, payload: DomainEventMap[K]): Promise<void> {
    this.emit(name, payload);
  }
  named<K extends DomainEventName>(name: K): DomainEventMap[K][] {
    return this.emitted.filter((e) => e.name === name).map((e) => e.payload as DomainEventMap[K]);
  }
}

export function userNamed(id: string): AuthUser {
  return { id, username: id, role: 'member', sessionId: `s-${id}` };
}

export interface MediaHarness {
  service: MediaService;
  reader: GrowingFileReader;
  delivery: MediaDeliveryService;
  media: InMemoryMediaRepository;
  chunks: InMemoryChunkRepository;
  access: FakeRoomAccess;
  bus: InProcessClusterBus;
  events: RecordingDomainEvents;
  config: AppConfig;
}

/** MediaService, GrowingFileReader and MediaDeliveryService wired to in-memory repositories. */
export function mediaHarness(
  options: { policy?: UploadPolicy; config?: Partial<AppConfig>; shared?: MediaHarness } = {},
): MediaHarness {
  const media = options.shared?.media ?? new InMemoryMediaRepository();
  const chunks = options.shared?.chunks ?? new InMemoryChunkRepository();
  const access = options.shared?.access ?? new FakeRoomAccess();
  const bus = options.shared?.bus ?? new InProcessClusterBus();
  const events = options.shared?.events ?? new RecordingDomainEvents();
  const config = Object.assign(new AppConfig(), options.config ?? {});
  const inspector = new MediaInspector();
  const service = new MediaService(
    media as unknown as MediaRepository,
    chunks as unknown as GridFsChunkRepository,
    options.policy ?? new AllowAllUploadPolicy(),
    access as unknown as RoomAccess,
    bus,
    events as unknown as DomainEvents,
    inspector,
    config,
  );
  const reader = new GrowingFileReader(
    chunks as unknown as GridFsChunkRepository,
    media as unknown as MediaRepository,
    bus,
  );
  reader.onModuleInit();
  const delivery = new MediaDeliveryService(
    service,
    reader,
    chunks as unknown as GridFsChunkRepository,
    inspector,
  );
  return { service, reader, delivery, media, chunks, access, bus, events, config };
}
