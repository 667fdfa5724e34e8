import { Injectable } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { Connection } from 'mongoose';

/** A real round trip to MongoDB (terminus' mongoose check only reads the connection state flag). */
@Injectable()
export class MongoPingRepository {
  constructor(@InjectConnection() private readonly connection: Connection) {}

  /** Resolves with the round-trip time in ms; rejects if MongoDB does not answer within `timeoutMs`. */
  async ping(timeoutMs: number): Promise<number> {
    const db = this.connection.db;
    if (!db) throw new Error('not connected');
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        db.command({ ping: 1 }, { timeoutMS: timeoutMs }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
    return Date.now() - started;
  }
}
