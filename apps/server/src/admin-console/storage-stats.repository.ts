import { Injectable } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { Connection } from 'mongoose';
import type { CollectionStatsView, StorageStatsView } from '@palaver/client';

/** dbStats and collStats of the application database (the docstore keeps both current in memory). */
@Injectable()
export class StorageStatsRepository {
  constructor(@InjectConnection() private readonly connection: Connection) {}

  async databaseStats(): Promise<StorageStatsView['database']> {
    const stats = await this.db().command({ dbStats: 1, scale: 1 });
    return {
      collections: num(stats.collections),
      objects: num(stats.objects),
      dataSize: num(stats.dataSize),
      storageSize: num(stats.storageSize),
      indexSize: num(stats.indexSize),
    };
  }

  async collectionStats(): Promise<CollectionStatsView[]> {
    const db = this.db();
    const names = (await db.listCollections({}, { nameOnly: true }).toArray())
      .filter((c) => c.type !== 'view' && !c.name.startsWith('system.'))
      .map((c) => c.name);
    return Promise.all(
      names.map(async (name) => {
        const stats = await db.command({ collStats: name, scale: 1 });
        return {
          name,
          count: num(stats.count),
          size: num(stats.size),
          storageSize: num(stats.storageSize),
          indexSize: num(stats.totalIndexSize),
        };
      }),
    );
  }

  private db() {
    const db = this.connection.db;
    if (!db) throw new Error('database not connected');
    return db;
  }
}

/** Server versions answer int32, int64 or double; the console wants plain numbers. */
function num(value: unknown): number {
  return typeof value === 'number' ? value : Number(value ?? 0) || 0;
}
