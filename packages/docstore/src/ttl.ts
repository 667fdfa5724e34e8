/**
 * Removes documents whose TTL index date is older than `expireAfterSeconds`, like MongoDB's TTL monitor
 * (which also runs once a minute, so expiry is not instantaneous).
 */
import { TypeRank, typeRank, valuesAtPath } from './bson-order';
import { encodeCompound, encodeTypeFloor, prefixEnd } from './index-key';
import type { Storage } from './storage';

export class TtlSweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly storage: Storage,
    private readonly intervalMs: number,
    private readonly onError: (err: unknown) => void,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.sweep()
        .then(() => undefined, this.onError)
        .finally(() => {
          this.running = undefined;
        });
    }, this.intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for a sweep in progress, so nothing writes after the store closes. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** One pass over every TTL index; returns the number of removed documents. */
  async sweep(now = Date.now()): Promise<number> {
    let removed = 0;
    for (const meta of this.storage.collections()) {
      for (const ix of meta.indexes) {
        if (ix.expireAfterSeconds === undefined || ix.id === 0) continue;
        const [field, dir] = ix.key[0];
        const cutoff = new Date(now - ix.expireAfterSeconds * 1000);
        const prefix = this.storage.indexPrefix(ix);
        const dateFloor = Buffer.concat([prefix, encodeTypeFloor(TypeRank.Date, dir)]);
        const cut = Buffer.concat([prefix, encodeCompound([cutoff], [dir])]);
        const [start, end] = dir === 1 ? [dateFloor, cut] : [prefixEnd(cut), prefixEnd(dateFloor)];
        const idKeys = [...this.storage.scanIndexRange(start, end, false)];
        if (idKeys.length === 0) continue;
        removed += await this.storage.write(() => {
          let n = 0;
          const current = this.storage.collection(meta.db, meta.name);
          if (!current) return 0;
          for (const idKey of idKeys) {
            const stored = this.storage.getById(current, idKey);
            if (!stored) continue;
            // Arrays of dates expire on their earliest date, as in MongoDB.
            const dates = valuesAtPath(stored.doc, field)
              .flatMap((v) => (Array.isArray(v) ? (v as unknown[]) : [v]))
              .filter((v): v is Date => typeRank(v) === TypeRank.Date);
            if (dates.length === 0 || Math.min(...dates.map((d) => d.getTime())) > cutoff.getTime()) continue;
            this.storage.removeDoc(current, stored);
            n++;
          }
          return n;
        });
      }
    }
    return removed;
  }
}
