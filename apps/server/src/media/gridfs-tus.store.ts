import { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';
import type { Upload } from '@tus/server' with { 'resolution-mode': 'import' };
import type { AuthUser } from '../auth/auth-user';
import { DomainError } from '../common/domain-error';
import { MediaService } from './media.service';

type UploadClass = new (init: ConstructorParameters<typeof Upload>[0]) => Upload;

/**
 * The tus DataStore (duck-typed: @tus/server is ESM-only and this package is CommonJS) backed by
 * GridFS through MediaService: creation opens a growing file, PATCH bodies stream into chunks, HEAD
 * reports the committed bytes, DELETE terminates. The caller's AuthUser comes from the request scope, which also keeps
 * the domain error a write failed with (see MediaUploadServer).
 */
export class GridFsTusStore extends EventEmitter {
  readonly extensions = ['creation', 'creation-with-upload', 'termination'];

  constructor(
    private readonly media: MediaService,
    private readonly uploadClass: UploadClass,
    private readonly currentScope: () => { user: AuthUser; failure?: DomainError },
  ) {
    super();
  }

  private currentUser(): AuthUser {
    return this.currentScope().user;
  }

  hasExtension(extension: string): boolean {
    return this.extensions.includes(extension);
  }

  async create(upload: Upload): Promise<Upload> {
    const meta = upload.metadata ?? {};
    const record = await this.media.startUpload(this.currentUser(), upload.id, {
      roomId: meta.roomId,
      filename: meta.filename ?? meta.name,
      type: meta.type ?? meta.filetype,
      size: upload.size,
    });
    upload.creation_date = record.createdAt.toISOString();
    upload.offset = record.committedBytes;
    return upload;
  }

  async write(stream: Readable, id: string, offset: number): Promise<number> {
    const scope = this.currentScope();
    // Without `return`, leaving the loop early (a policy abort) does not destroy tus's body stream, so
    // tus's pipeline fails with our error rather than with the stream teardown; it cleans up after.
    const pieces = stream[Symbol.asyncIterator]();
    const body: AsyncIterable<Buffer> = { [Symbol.asyncIterator]: () => ({ next: () => pieces.next() }) };
    try {
      return await this.media.appendBytes(scope.user, id, offset, body);
    } catch (err) {
      if (err instanceof DomainError) scope.failure = err;
      throw err;
    }
  }

  async getUpload(id: string): Promise<Upload> {
    const record = await this.media.uploadState(this.currentUser(), id);
    return new this.uploadClass({
      id,
      size: record.declaredSize,
      offset: record.committedBytes,
      metadata: { roomId: record.roomId, filename: record.name, type: record.declaredType },
      creation_date: record.createdAt.toISOString(),
    });
  }

  async remove(id: string): Promise<void> {
    await this.media.terminate(this.currentUser(), id);
  }

  async declareUploadLength(): Promise<void> {
    throw Object.assign(new Error('Upload-Length is required'), { status_code: 400 });
  }

  /** Abandoned uploads are failed by MediaSweeper, not through tus expiration. */
  async deleteExpired(): Promise<number> {
    return 0;
  }

  getExpiration(): number {
    return 0;
  }
}
