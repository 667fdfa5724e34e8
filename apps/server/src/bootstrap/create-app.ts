import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import helmet from 'helmet';
import { AppModule } from '../app.module';
import { configureSocketAdapter } from '../cluster/redis-io.adapter';
import { HttpExceptionFilter } from '../common/http-exception.filter';
import { createValidationPipe } from '../common/validation';
import { AppConfig } from '../config/app-config';
import { StorageInfo } from '../config/config.module';
import { MetricsService } from '../health/metrics.service';
import { AppLogger } from '../logging/app-logger';

/** REST routes live under /api; probes stay at the root where orchestrators expect them. */
export const API_PREFIX = 'api';
export const DOCS_PATH = 'api/docs';

/** Builds the configured (not yet listening) Nest application; shared by main and the tests. */
export async function createApp(config: AppConfig, storage: StorageInfo): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, storage), {
    // Start-up logs wait for the pino logger. If start-up fails there is none, so they are dropped: the
    // error reaches main, which prints one line (operator mistakes) or the stack (bugs).
    bufferLogs: true,
    logger: false,
    abortOnError: false,
  });
  app.useLogger(app.get(AppLogger));
  app.set('trust proxy', config.TRUST_PROXY.length > 0 ? config.TRUST_PROXY : false);
  app.use(app.get(MetricsService).httpMiddleware());
  app.use(helmet({ crossOriginResourcePolicy: { policy: 'same-site' } }));
  app.enableCors({ origin: corsOrigins(config), credentials: true, maxAge: 600 });
  app.setGlobalPrefix(API_PREFIX, { exclude: ['health/live', 'health/ready'] });
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new HttpExceptionFilter());
  // The Redis adapter (REDIS_URL) connects here, before listen, so the first socket is already clustered.
  await configureSocketAdapter(app, config);

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Palaver')
      .setDescription('REST API of the Palaver chat appliance. Socket.IO events: docs/realtime.md.')
      .setVersion('0.1.0')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup(DOCS_PATH, app, document, { jsonDocumentUrl: `${DOCS_PATH}/json` });
  return app;
}

/** CORS_ORIGINS, else the origin of PUBLIC_URL, else same-origin only. */
export function corsOrigins(config: AppConfig): string[] | false {
  if (config.CORS_ORIGINS.length > 0) return config.CORS_ORIGINS;
  if (config.PUBLIC_URL) return [new URL(config.PUBLIC_URL).origin];
  return false;
}
