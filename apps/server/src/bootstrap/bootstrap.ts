import { Logger } from '@nestjs/common';
import { NestExpressApplication } from '@nestjs/platform-express';
import { plainToInstance } from 'class-transformer';
import { AddressInfo } from 'node:net';
import { AppConfig } from '../config/app-config';
import { StorageInfo } from '../config/config.module';
import { BootError } from './boot-error';
import { createApp } from './create-app';
import { claimDataDir, DataDirLock } from './data-dir';
import { openStorage, Storage } from './storage';
import { resolveTokenSecret } from './token-secret';

export interface RunningServer {
  app: NestExpressApplication;
  /** Where clients reach this process, e.g. http://127.0.0.1:3000 (no trailing slash). */
  url: string;
  port: number;
  storage: StorageInfo;
  /** Graceful stop: no new connections, sockets drained, Mongo closed, docstore stopped, lock released. */
  close(): Promise<void>;
}

/**
 * The boot sequence, shared by main.ts and the tests: data dir (created, writable, locked) → token
 * secret → storage (MONGO_URL or the embedded docstore) → Nest app → listen on HOST:PORT. Operator
 * mistakes surface as BootError with a one-line message; whatever was started is stopped again.
 */
export async function bootstrap(config: AppConfig): Promise<RunningServer> {
  const logger = new Logger('Boot');
  const cleanups: Array<() => Promise<void>> = [];
  const cleanup = async () => {
    for (const step of cleanups.reverse()) await step().catch(() => undefined);
    cleanups.length = 0;
  };
  try {
    const lock: DataDirLock = await claimDataDir(config.DATA_DIR, (err) =>
      logger.error(`lost the data dir lock: ${err.message}`),
    );
    cleanups.push(() => lock.release());
    const resolved = plainToInstance(AppConfig, {
      ...config,
      DATA_DIR: lock.path,
      TOKEN_SECRET: await resolveTokenSecret(config.TOKEN_SECRET, lock.path),
    });
    const storage: Storage = await openStorage(config.MONGO_URL, lock.path);
    cleanups.push(() => storage.close());
    const app = await createApp(resolved, storage.info).catch((err: unknown) => {
      throw explainAppFailure(err, storage.info);
    });
    cleanups.push(() => closeApp(app));
    await app.listen(config.PORT, config.HOST).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE')
        throw new BootError(`port ${config.PORT} on ${config.HOST} is already in use; set PORT`);
      if (err.code === 'EACCES')
        throw new BootError(`not allowed to listen on port ${config.PORT}; set PORT above 1023`);
      if (err.code === 'EADDRNOTAVAIL')
        throw new BootError(`HOST ${config.HOST} is not an address of this machine`);
      throw err;
    });
    const port = (app.getHttpServer().address() as AddressInfo).port;
    const url = `http://${displayHost(config.HOST)}:${port}`;
    logger.log(
      `Palaver listening on ${url} (${storage.info.embedded ? 'embedded docstore' : 'MONGO_URL'}, data in ${lock.path})`,
    );
    let closing: Promise<void> | undefined;
    return {
      app,
      url,
      port,
      storage: storage.info,
      close: () => (closing ??= cleanup()),
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** Lets in-flight requests finish for a while, then cuts whatever is still open (long streams). */
const DRAIN_MS = 5000;
async function closeApp(app: NestExpressApplication): Promise<void> {
  const http = app.getHttpServer() as import('node:http').Server;
  const force = setTimeout(() => http.closeAllConnections(), DRAIN_MS);
  force.unref();
  try {
    await app.close();
  } finally {
    clearTimeout(force);
  }
}

function displayHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}

function explainAppFailure(err: unknown, storage: StorageInfo): unknown {
  const name = (err as Error | undefined)?.name ?? '';
  if (name.startsWith('MongooseServerSelectionError') || name === 'MongoServerSelectionError') {
    const where = storage.embedded ? 'the embedded docstore' : 'MONGO_URL';
    return new BootError(`cannot reach MongoDB (${where}): ${(err as Error).message.split('\n')[0]}`);
  }
  return err;
}
