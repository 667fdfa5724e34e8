import { Inject, MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LevelWithSilent } from 'pino';
import { pinoHttp, type HttpLogger } from 'pino-http';
import { AppConfig } from '../config/app-config';
import { AppLogger } from './app-logger';

/** The pino-http middleware; its `logger` is the process's root logger. */
export const HTTP_LOGGER = Symbol('HTTP_LOGGER');

function createHttpLogger(config: AppConfig): HttpLogger {
  return pinoHttp<IncomingMessage, ServerResponse, never>({
    level: config.LOG_LEVEL,
    base: { node: config.NODE_ID },
    transport: process.stdout.isTTY
      ? { target: 'pino-pretty', options: { singleLine: true, translateTime: 'SYS:HH:MM:ss.l' } }
      : undefined,
    genReqId: (req, res) => {
      const id = req.headers['x-request-id'];
      const requestId = typeof id === 'string' && /^[\w.-]{1,64}$/.test(id) ? id : randomUUID();
      res.setHeader('x-request-id', requestId);
      return requestId;
    },
    // One short line per request; headers (and with them credentials) stay out of the log.
    serializers: {
      req: (req: { id: unknown; method: string; url: string; remoteAddress?: string }) => ({
        id: req.id,
        method: req.method,
        // Signed media links carry their credential in the query (docs/media.md).
        url: req.url.replace(/([?&]sig=)[^&]*/g, '$1[redacted]'),
        remoteAddress: req.remoteAddress,
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    customLogLevel: (_req, res, err): LevelWithSilent => (err || res.statusCode >= 500 ? 'error' : 'info'),
    autoLogging: { ignore: (req) => req.url?.startsWith('/health/') ?? false },
  });
}

/**
 * JSON logs (pino) on stdout, pretty-printed when stdout is a terminal. One line per HTTP request with
 * a request id (pino-http); credentials are redacted.
 *
 * Deliberately not nestjs-pino's LoggerModule: its middleware runs every request inside an
 * AsyncLocalStorage scope, and once any AsyncLocalStorage is entered Node 20 keeps a promise hook
 * active for the life of the process, so every promise on the socket path (a sent message makes
 * dozens) paid for HTTP request context (docs/performance.md). Nest's own log lines therefore carry no
 * request id; the request line does.
 */
@Module({
  providers: [
    { provide: HTTP_LOGGER, inject: [AppConfig], useFactory: createHttpLogger },
    {
      provide: AppLogger,
      inject: [HTTP_LOGGER],
      useFactory: (http: HttpLogger) => new AppLogger(http.logger),
    },
  ],
  exports: [AppLogger],
})
export class LoggingModule implements NestModule {
  constructor(@Inject(HTTP_LOGGER) private readonly httpLogger: HttpLogger) {}

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(this.httpLogger).forRoutes({ path: '{*path}', method: RequestMethod.ALL });
  }
}
