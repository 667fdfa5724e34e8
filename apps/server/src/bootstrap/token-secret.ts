import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BootError } from './boot-error';

const MIN_LENGTH = 32;

/**
 * TOKEN_SECRET from the environment, else the one in DATA_DIR/secret, generated (mode 0600) on first
 * run so tokens survive restarts. Clustered nodes must share it (set TOKEN_SECRET).
 */
export async function resolveTokenSecret(fromEnv: string | undefined, dataDir: string): Promise<string> {
  if (fromEnv) return fromEnv;
  const file = join(dataDir, 'secret');
  try {
    const stored = (await readFile(file, 'utf8')).trim();
    if (stored.length < MIN_LENGTH)
      throw new BootError(
        `${file} holds a secret shorter than ${MIN_LENGTH} characters; delete it to generate a new one`,
      );
    return stored;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      if (err instanceof BootError) throw err;
      throw new BootError(`cannot read ${file}: ${(err as Error).message}`);
    }
  }
  const secret = randomBytes(48).toString('base64url');
  try {
    await writeFile(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    throw new BootError(`cannot write ${file}: ${(err as Error).message}`);
  }
  return secret;
}
