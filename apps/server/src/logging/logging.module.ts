import { Module, RequestMethod } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import { AppConfig } from '../config/app-config';
import { AppLogger } from './app-logger';

/**
 * JSON logs (pino) on stdout, pretty-printed when stdout is a terminal. One line per HTTP request with
 * a request id; credentials are redacted.
 */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        forRoutes: [{ path: '{*path}', method: RequestMethod.ALL }],
        pinoHttp: {
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
          customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : 'info'),
          autoLogging: { ignore: (req) => req.url?.startsWith('/health/') ?? false },
        },
      }),
    }),
  ],
  providers: [AppLogger],
  exports: [AppLogger],
})
export class LoggingModule {}
