import { HttpTransport } from './http';

/** One collection's figures from the database's collStats (bytes). */
export interface CollectionStatsView {
  name: string;
  count: number;
  /** Uncompressed document bytes. */
  size: number;
  storageSize: number;
  indexSize: number;
}

/** GET /api/admin/storage: dbStats for the whole database plus collStats per collection. */
export interface StorageStatsView {
  database: {
    collections: number;
    objects: number;
    dataSize: number;
    storageSize: number;
    indexSize: number;
  };
  /** Largest first (data + indexes). */
  collections: CollectionStatsView[];
}

/** Read-only figures for the admin console (admin role). */
export class AdminStatsApi {
  constructor(private readonly http: HttpTransport) {}

  storage(): Promise<StorageStatsView> {
    return this.http.request('GET', '/admin/storage');
  }
}
