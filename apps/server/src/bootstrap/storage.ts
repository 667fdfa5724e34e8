import { join } from 'node:path';
import * as docstoreLibrary from '@palaver/docstore';
import { StorageInfo } from '../config/config.module';
import { BootError } from './boot-error';

/** The embedded docstore's library contract (packages/docstore). */
interface DocstoreLibrary {
  startDocstore(options: { dbPath: string; port?: number; host?: string }): Promise<{
    uri: string;
    port: number;
    close(): Promise<void>;
  }>;
}

export interface Storage {
  info: StorageInfo;
  close(): Promise<void>;
}

/** MONGO_URL when set; otherwise the embedded docstore on a loopback port, data in DATA_DIR/db. */
export async function openStorage(mongoUrl: string | undefined, dataDir: string): Promise<Storage> {
  if (mongoUrl) return { info: new StorageInfo(mongoUrl, false), close: async () => undefined };
  const { startDocstore } = docstoreLibrary as unknown as DocstoreLibrary;
  if (typeof startDocstore !== 'function') {
    throw new BootError('the embedded docstore is not available in this build; set MONGO_URL');
  }
  try {
    const docstore = await startDocstore({ dbPath: join(dataDir, 'db'), port: 0, host: '127.0.0.1' });
    return { info: new StorageInfo(docstore.uri, true), close: () => docstore.close() };
  } catch (err) {
    throw new BootError(
      `cannot start the embedded docstore in ${join(dataDir, 'db')}: ${(err as Error).message}`,
    );
  }
}
