import { join } from 'node:path';
import * as docstoreLibrary from '@palaver/docstore';
import { StorageInfo } from '../config/config.module';
import { BootError } from './boot-error';

/** The embedded docstore's library contract (packages/docstore). */
interface DocstoreLibrary {
  startDocstore(options: { dbPath: string; port?: number; host?: string; socketPath?: string }): Promise<{
    uri: string;
    port: number;
    close(): Promise<void>;
  }>;
}

export interface Storage {
  info: StorageInfo;
  close(): Promise<void>;
}

/** Longest Unix socket path the kernel takes (sun_path is 108 bytes on Linux, with its terminating NUL). */
const MAX_SOCKET_PATH_BYTES = 107;

/**
 * MONGO_URL when set; otherwise the embedded docstore, data in DATA_DIR/db. It listens on a Unix socket
 * there (mode 0600): the docstore has no authentication, and a loopback port would let every local user
 * read and change the chat; a socket file reaches only this OS user (and is cheaper per round trip). A
 * DATA_DIR too long for a socket path falls back to a loopback port.
 */
export async function openStorage(mongoUrl: string | undefined, dataDir: string): Promise<Storage> {
  if (mongoUrl) return { info: new StorageInfo(mongoUrl, false), close: async () => undefined };
  const { startDocstore } = docstoreLibrary as unknown as DocstoreLibrary;
  if (typeof startDocstore !== 'function') {
    throw new BootError('the embedded docstore is not available in this build; set MONGO_URL');
  }
  try {
    const dbPath = join(dataDir, 'db');
    const socketPath = join(dbPath, 'docstore.sock');
    const docstore = await startDocstore(
      Buffer.byteLength(socketPath) <= MAX_SOCKET_PATH_BYTES
        ? { dbPath, socketPath }
        : { dbPath, port: 0, host: '127.0.0.1' },
    );
    return { info: new StorageInfo(docstore.uri, true), close: () => docstore.close() };
  } catch (err) {
    throw new BootError(
      `cannot start the embedded docstore in ${join(dataDir, 'db')}: ${(err as Error).message}`,
    );
  }
}
