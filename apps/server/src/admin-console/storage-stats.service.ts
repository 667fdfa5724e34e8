import { Injectable } from '@nestjs/common';
import type { StorageStatsView } from '@palaver/client';
import { StorageStatsRepository } from './storage-stats.repository';

/** What the console's overview charts: the database totals and the collections largest first. */
@Injectable()
export class StorageStatsService {
  constructor(private readonly stats: StorageStatsRepository) {}

  async storage(): Promise<StorageStatsView> {
    const [database, collections] = await Promise.all([
      this.stats.databaseStats(),
      this.stats.collectionStats(),
    ]);
    collections.sort((a, b) => b.size + b.indexSize - (a.size + a.indexSize) || a.name.localeCompare(b.name));
    return { database, collections };
  }
}
