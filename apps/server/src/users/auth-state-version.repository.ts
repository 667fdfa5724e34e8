import { Injectable } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import type { Collection } from 'mongodb';
import type { Connection } from 'mongoose';

const DUPLICATE_KEY = 11000;

/** The one counter document of the `auth_state` collection. */
const VERSION_ID = 'version';

interface VersionDocument {
  _id: string;
  version: number;
}

/**
 * One counter, shared by every node through the database, bumped after every change that can make a
 * valid access token stop working or grant less: a session revoked, an account banned, a role or a
 * password changed. AuthService's per-node cache of sessions and accounts trusts an entry only while the
 * counter still reads what it read before filling it, so such a change, once acknowledged, takes effect
 * on every node's next check (docs/auth.md). The bump comes after the change's own write and before its
 * `auth.revoked` notice.
 */
@Injectable()
export class AuthStateVersionRepository {
  private readonly collection: Collection<VersionDocument>;

  constructor(@InjectConnection() connection: Connection) {
    this.collection = connection.collection<VersionDocument>('auth_state');
  }

  /** The current value (0 before the first change). */
  async read(): Promise<number> {
    const doc = await this.collection.findOne({ _id: VERSION_ID });
    return doc?.version ?? 0;
  }

  async bump(): Promise<void> {
    const inc = () =>
      this.collection.updateOne({ _id: VERSION_ID }, { $inc: { version: 1 } }, { upsert: true });
    // The very first bump of two nodes at once: one upsert inserts, the other hits the _id index; the
    // document exists then, so the retry increments it.
    await inc().catch((err: unknown) => {
      if ((err as { code?: number } | null)?.code !== DUPLICATE_KEY) throw err;
      return inc();
    });
  }
}
