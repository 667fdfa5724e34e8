import { Injectable, OnModuleInit } from '@nestjs/common';
import type { Server } from '@tus/server' with { 'resolution-mode': 'import' };
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AsyncLocalStorage } from 'node:async_hooks';
import { AuthUser } from '../auth/auth-user';
import { DomainError, HTTP_STATUS_FOR, toErrorBody, UnauthorizedError } from '../common/domain-error';
import { AppConfig } from '../config/app-config';
import { GridFsTusStore } from './gridfs-tus.store';
import { MediaService } from './media.service';

export const UPLOADS_PATH = '/api/media/uploads';

/** Per request: who is uploading, and the domain error the store failed with, if any. */
export interface UploadRequestScope {
  user: AuthUser;
  failure?: DomainError;
}

/**
 * The tus server (core + creation + termination) for /api/media/uploads, over our GridFS data store.
 * Requests reach it through MediaUploadController, after AuthGuard; the AuthUser travels to the store
 * in an AsyncLocalStorage scope.
 */
@Injectable()
export class MediaUploadServer implements OnModuleInit {
  private readonly requestScope = new AsyncLocalStorage<UploadRequestScope>();
  private server?: Server;

  constructor(
    private readonly media: MediaService,
    private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    // ESM-only package, loaded from CommonJS.
    const tus = await import('@tus/server');
    const store = new GridFsTusStore(this.media, tus.Upload, () => {
      const scope = this.requestScope.getStore();
      if (!scope) throw new UnauthorizedError();
      return scope;
    });
    this.server = new tus.Server({
      path: UPLOADS_PATH,
      datastore: store as never,
      maxSize: this.config.UPLOAD_MAX_BYTES,
      relativeLocation: true,
      namingFunction: () => this.media.newMediaId(),
      respectForwardedHeaders: false,
      // CORS is the app's (enableCors with CORS_ORIGINS); tus would otherwise answer `*` itself.
      allowedOrigins: () => false,
      onResponseError: (_req, caught) => {
        // When the store fails mid-body, tus reports the torn-down body stream ("aborted") instead of
        // the store's error; the scope kept the real one.
        const err = this.requestScope.getStore()?.failure ?? caught;
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
    if (!this.server) throw new Error('upload server is not initialised');
    const server = this.server;
    await this.requestScope.run({ user }, () => server.handle(req, res));
  }
}
