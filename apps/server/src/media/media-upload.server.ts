import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type { Locker, Server, Upload } from '@tus/server' with { 'resolution-mode': 'import' };
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AuthUser } from '../auth/auth-user';
import {
  DomainError,
  HTTP_STATUS_FOR,
  NotFoundError,
  toErrorBody,
  ValidationFailedError,
} from '../common/domain-error';
import { AppConfig } from '../config/app-config';
import { GridFsTusStore } from './gridfs-tus.store';
import { MediaService } from './media.service';

export const UPLOADS_PATH = '/api/media/uploads';
const TUS_VERSION = '1.0.0';
const OFFSET = /^\d{1,16}$/;

/** Per request: who is uploading, and the domain error the store failed with, if any. */
export interface UploadRequestScope {
  user: AuthUser;
  failure?: DomainError;
}

class PatchRefused extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(body);
  }
}

/**
 * The request body until it ends, the connection drops (the iterator throws) or `stop` is aborted
 * (another request wants this upload: the body ends where it is, as tus does). The request stream is
 * left as it is, not destroyed, so a response can still be written.
 */
async function* requestBody(req: IncomingMessage, stop: AbortSignal): AsyncGenerator<Buffer> {
  const pieces = req.iterator({ destroyOnReturn: false }) as AsyncIterator<Buffer>;
  for (;;) {
    if (stop.aborted) return;
    // A fresh stop promise per piece: racing one long-lived promise would keep every piece reachable
    // through the reactions it accumulates.
    let onStop!: () => void;
    const stopped = new Promise<IteratorResult<Buffer>>((resolve) => {
      onStop = () => resolve({ done: true, value: undefined });
      stop.addEventListener('abort', onStop, { once: true });
    });
    let next: IteratorResult<Buffer>;
    try {
      next = await Promise.race([pieces.next(), stopped]);
    } finally {
      stop.removeEventListener('abort', onStop);
    }
    if (next.done) return;
    yield next.value;
  }
}

/**
 * The tus server (core + creation + termination) for /api/media/uploads, over our GridFS data store.
 * Requests reach it through MediaUploadController, after AuthGuard. POST, HEAD and DELETE get a tus
 * server of their own whose store acts for the request's AuthUser (tus does not hand its store the
 * request). An AsyncLocalStorage scope would do the same, but once one is entered Node 20 keeps a promise
 * hook on for the whole process, charging every promise on the socket path too; these requests are
 * few, and a tus Server is a handful of small objects.
 *
 * PATCH is answered here rather than by @tus/server: tus hands the body to its store as a web stream
 * (Readable.toWeb, which copies every piece, then Readable.fromWeb, a PassThrough and a size limiter),
 * which cost the server about as much CPU as receiving the bytes (0.9 s per GiB measured). The rules
 * are tus's: Tus-Resumable, Content-Type and Upload-Offset checked, 409 on an offset mismatch, 204 with
 * the new Upload-Offset, and the same per-upload lock as tus's HEAD/POST/DELETE (a request that wants
 * the lock ends the body of the one holding it, which then stores what it got).
 */
@Injectable()
export class MediaUploadServer implements OnModuleInit {
  private readonly logger = new Logger(MediaUploadServer.name);
  private tus?: { Server: typeof Server; Upload: typeof Upload };
  private locker?: Locker;
  private exposedHeaders = '';

  constructor(
    private readonly media: MediaService,
    private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    // ESM-only package, loaded from CommonJS.
    const tus = await import('@tus/server');
    this.tus = { Server: tus.Server, Upload: tus.Upload };
    this.locker = new tus.MemoryLocker();
    this.exposedHeaders = tus.EXPOSED_HEADERS;
  }

  /** A tus server whose store acts for `scope.user` and records the domain error it failed with. */
  private serverFor(scope: UploadRequestScope): Server {
    if (!this.tus || !this.locker) throw new Error('upload server is not initialised');
    const store = new GridFsTusStore(this.media, this.tus.Upload, () => scope);
    return new this.tus.Server({
      path: UPLOADS_PATH,
      datastore: store as never,
      locker: this.locker,
      maxSize: this.config.UPLOAD_MAX_BYTES,
      relativeLocation: true,
      namingFunction: () => this.media.newMediaId(),
      respectForwardedHeaders: false,
      // CORS is the app's (enableCors with CORS_ORIGINS); tus would otherwise answer `*` itself.
      allowedOrigins: () => false,
      onResponseError: (_req, caught) => {
        // When the store fails mid-body, tus reports the torn-down body stream ("aborted") instead of
        // the store's error; the scope kept the real one.
        const err = scope.failure ?? caught;
        if (err instanceof DomainError) {
          return { status_code: HTTP_STATUS_FOR[err.code], body: JSON.stringify(err.toBody()) };
        }
        if ('status_code' in err) return undefined;
        // Unknown failures never leak their message.
        return { status_code: 500, body: JSON.stringify(toErrorBody(err)) };
      },
    });
  }

  async handle(user: AuthUser, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method === 'PATCH' && req.headers['x-http-method-override'] === undefined) {
      await this.patch(user, req, res);
      return;
    }
    await this.serverFor({ user }).handle(req, res);
  }

  private async patch(user: AuthUser, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const headers: Record<string, string> = {
      'Tus-Resumable': TUS_VERSION,
      'Access-Control-Expose-Headers': this.exposedHeaders,
    };
    try {
      if (req.headers['tus-resumable'] !== TUS_VERSION) {
        const refusal = new ValidationFailedError('Tus-Resumable must be 1.0.0', 'Tus-Resumable');
        throw new PatchRefused(412, JSON.stringify(refusal.toBody()), { 'Tus-Version': TUS_VERSION });
      }
      const path = (req.url ?? '').split('?')[0]!;
      const id = path.startsWith(`${UPLOADS_PATH}/`) ? path.slice(UPLOADS_PATH.length + 1) : '';
      if (!this.media.isMediaId(id)) throw new NotFoundError('upload', 'id');
      const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (contentType !== 'application/offset+octet-stream') {
        throw new PatchRefused(
          415,
          JSON.stringify(
            new ValidationFailedError(
              'Content-Type must be application/offset+octet-stream',
              'Content-Type',
            ).toBody(),
          ),
        );
      }
      const offsetHeader = req.headers['upload-offset'];
      if (typeof offsetHeader !== 'string' || !OFFSET.test(offsetHeader)) {
        throw new ValidationFailedError('Upload-Offset must be a byte count', 'Upload-Offset');
      }
      if (req.headers['upload-length'] !== undefined) {
        throw new ValidationFailedError('Upload-Length is fixed when the upload is created', 'Upload-Length');
      }
      const lock = this.locker!.newLock(id);
      const release = new AbortController();
      const gone = new AbortController();
      res.once('close', () => gone.abort());
      await lock.lock(gone.signal, async () => release.abort());
      let offset: number;
      try {
        offset = await this.media.appendBytes(
          user,
          id,
          Number(offsetHeader),
          requestBody(req, release.signal),
        );
      } finally {
        await lock.unlock();
      }
      headers['Upload-Offset'] = String(offset);
      res.writeHead(204, headers).end();
    } catch (err) {
      this.refuse(res, headers, err);
    }
  }

  private refuse(res: ServerResponse, headers: Record<string, string>, err: unknown): void {
    // A dropped connection: the bytes that arrived are stored, and nobody is left to answer.
    if (res.headersSent || res.destroyed) return;
    let status: number;
    let body: string;
    if (err instanceof PatchRefused) {
      status = err.status;
      body = err.body;
      Object.assign(headers, err.headers);
    } else if (err instanceof DomainError) {
      status = HTTP_STATUS_FOR[err.code];
      body = JSON.stringify(err.toBody());
    } else if (err && typeof err === 'object' && 'status_code' in err && 'body' in err) {
      // tus's own errors (a lock that could not be acquired in time).
      status = Number(err.status_code);
      body = String(err.body);
    } else {
      // The body failed: the connection dropped (nobody reads this) or something unexpected.
      this.logger.warn(`PATCH failed: ${err instanceof Error ? err.message : String(err)}`);
      status = 500;
      body = JSON.stringify(toErrorBody(err));
    }
    res.writeHead(status, { ...headers, 'Content-Type': 'application/json' }).end(body);
  }
}
