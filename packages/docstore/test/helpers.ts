import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { type Docstore, type DocstoreOptions, startDocstore } from '../src';

export interface RunningDocstore {
  store: Docstore;
  client: MongoClient;
  dbPath: string;
  /** Stops the client and the server; removes the data directory unless `keepData`. */
  stop(keepData?: boolean): Promise<void>;
}

export async function tempDir(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'docstore-test-'));
}

/** Starts a docstore on a random loopback port with a connected official driver client. */
export async function runDocstore(opts: Partial<DocstoreOptions> = {}): Promise<RunningDocstore> {
  const dbPath = opts.dbPath ?? (await tempDir());
  const store = await startDocstore({ port: 0, ...opts, dbPath });
  const client = new MongoClient(store.uri, { serverSelectionTimeoutMS: 5000, maxPoolSize: 40 });
  await client.connect();
  return {
    store,
    client,
    dbPath,
    async stop(keepData = false) {
      await client.close();
      await store.close();
      if (!keepData) await rm(dbPath, { recursive: true, force: true });
    },
  };
}
