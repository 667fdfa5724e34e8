import { NestExpressApplication } from '@nestjs/platform-express';
import { PalaverClient, UserView } from '@palaver/client';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootstrap } from '../src/bootstrap/bootstrap';
import { loadConfig } from '../src/config/app-config';

export interface TestServer {
  /** http://127.0.0.1:<port> */
  url: string;
  /** What mongoose is connected to (the embedded docstore unless env.MONGO_URL was given). */
  mongoUrl: string;
  app: NestExpressApplication;
  dataDir: string;
  /** Stops the app and its docstore; removes the data dir if this helper created it. */
  close(): Promise<void>;
}

export interface TestServerOptions {
  /** Environment variables for loadConfig (PORT, HOST, DATA_DIR default to a random port/temp dir). */
  env?: Record<string, string>;
  /** Reuse a data dir (e.g. to restart on the same data); it is kept on close. */
  dataDir?: string;
}

/**
 * The real server through the same bootstrap() main.ts uses: config validated by loadConfig, data dir
 * locked, embedded docstore (unless env.MONGO_URL), Nest app on 127.0.0.1 port 0. Logs at warn
 * unless LOG_LEVEL is set in the environment or options.
 */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const ownDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'palaver-test-')));
  try {
    const config = loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      DATA_DIR: dataDir,
      // Tests register many accounts from 127.0.0.1; auth.test.ts checks the limit with its own value.
      REGISTRATIONS_PER_IP_PER_HOUR: '0',
      ...options.env,
    });
    const server = await bootstrap(config);
    return {
      url: server.url,
      mongoUrl: server.storage.mongoUrl,
      app: server.app,
      dataDir,
      close: async () => {
        await server.close();
        if (ownDataDir) await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    if (ownDataDir) await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
}

export type TestUserClient = PalaverClient & { user: UserView; password: string };

let userCounter = 0;

/** Registers a fresh account (unique name unless given) and returns its logged-in client. */
export async function registerUser(
  server: Pick<TestServer, 'url'>,
  username = `user${++userCounter}_${randomBytes(4).toString('hex')}`,
  password = `pw-${randomBytes(8).toString('hex')}`,
): Promise<TestUserClient> {
  const client = new PalaverClient(server.url);
  await client.register(username, password);
  return Object.assign(client, { password }) as TestUserClient;
}

/** Resolves when `predicate` holds, polling every 20 ms; rejects after `timeoutMs`. */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * `count` ordinary members of a fresh install. The first account of an install becomes admin (and may
 * read every room), so a throwaway account is registered first to keep the admin out of the cast.
 */
export async function registerMembers(server: TestServer, count: number): Promise<TestUserClient[]> {
  await registerUser(server);
  return Promise.all(Array.from({ length: count }, () => registerUser(server)));
}
