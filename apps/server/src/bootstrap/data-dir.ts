import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { lock } from 'proper-lockfile';
import { BootError } from './boot-error';

/** How long a crashed process's lock stays valid; the lock is refreshed at a third of this. */
const LOCK_STALE_MS = 15_000;

export interface DataDirLock {
  path: string;
  release(): Promise<void>;
}

/**
 * Creates DATA_DIR, proves it writable and takes an exclusive lock on it (DATA_DIR/palaver.lock),
 * so a second process on the same data fails with one line instead of corrupting it.
 */
export async function claimDataDir(dataDir: string, onLockLost: (err: Error) => void): Promise<DataDirLock> {
  const path = resolve(dataDir);
  try {
    await mkdir(path, { recursive: true });
    await access(path, constants.W_OK | constants.R_OK | constants.X_OK);
  } catch (err) {
    throw new BootError(
      `data dir ${path} is not writable (${(err as NodeJS.ErrnoException).code ?? String(err)}); set DATA_DIR or fix its permissions`,
    );
  }
  try {
    const release = await lock(path, {
      lockfilePath: join(path, 'palaver.lock'),
      realpath: false,
      stale: LOCK_STALE_MS,
      update: LOCK_STALE_MS / 3,
      retries: 0,
      onCompromised: onLockLost,
    });
    return { path, release };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOCKED') {
      throw new BootError(
        `data dir ${path} is in use by another Palaver process (stop it first; a crashed one's lock expires after ${LOCK_STALE_MS / 1000}s)`,
      );
    }
    throw new BootError(`cannot lock data dir ${path}: ${(err as Error).message}`);
  }
}
