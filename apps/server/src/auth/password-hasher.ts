import { randomBytes, scrypt, ScryptOptions, timingSafeEqual } from 'node:crypto';

const KEY_LENGTH = 64;
const SALT_BYTES = 16;
/** N=2^14, r=8, p=1 (16 MiB): the scrypt paper's interactive-login cost, ~50-150 ms per hash on a small server. */
const DEFAULT_PARAMS = { N: 1 << 14, r: 8, p: 1 };

function scryptAsync(password: string, salt: Buffer, params: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, KEY_LENGTH, { ...params, maxmem: 128 * params.N! * params.r! * 2 }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

/**
 * scrypt password hashes (node's crypto, no native dependency), stored as
 * `scrypt$N$r$p$<salt b64>$<key b64>` so parameters can be raised later without breaking old hashes.
 * Provided as a value (tests pass cheaper parameters).
 */
export class PasswordHasher {
  constructor(private readonly params: { N: number; r: number; p: number } = DEFAULT_PARAMS) {}

  async hash(password: string): Promise<string> {
    const salt = randomBytes(SALT_BYTES);
    const { N, r, p } = this.params;
    const key = await scryptAsync(password, salt, { N, r, p });
    return ['scrypt', N, r, p, salt.toString('base64'), key.toString('base64')].join('$');
  }

  async verify(password: string, stored: string): Promise<boolean> {
    const parts = stored.split('$');
    if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
    const [N, r, p] = parts.slice(1, 4).map(Number);
    const salt = Buffer.from(parts[4], 'base64');
    const expected = Buffer.from(parts[5], 'base64');
    const key = await scryptAsync(password, salt, { N, r, p });
    return key.length === expected.length && timingSafeEqual(key, expected);
  }

  /** Spends the same time as a real verify, so unknown usernames cannot be told apart by timing. */
  async verifyNothing(password: string): Promise<false> {
    await scryptAsync(password, randomBytes(SALT_BYTES), this.params);
    return false;
  }
}
