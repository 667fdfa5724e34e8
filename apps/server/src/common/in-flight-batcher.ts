/**
 * Reads by key, many keys per read: while one read is in flight, keys asked for meanwhile wait and go
 * together in the next one (as group commit does for writes). Every caller gets a read that began after
 * it asked, so nothing older than the call is returned; a reconnect storm of thousands of handshakes
 * costs a few dozen reads instead of thousands. A lone caller is read at once.
 */
export class InFlightBatcher<K, V> {
  private waiting = new Map<K, { resolve: (v: V | undefined) => void; reject: (e: unknown) => void }[]>();
  private inFlight = false;

  /**
   * @param readMany reads the given keys (no duplicates), returning what was found by key
   * @param maxBatch keys per read at most (a larger wait is split over consecutive reads)
   */
  constructor(
    private readonly readMany: (keys: K[]) => Promise<Map<K, V>>,
    private readonly maxBatch = 256,
  ) {}

  load(key: K): Promise<V | undefined> {
    return new Promise((resolve, reject) => {
      const callers = this.waiting.get(key);
      if (callers) callers.push({ resolve, reject });
      else this.waiting.set(key, [{ resolve, reject }]);
      if (!this.inFlight) this.next();
    });
  }

  private next(): void {
    if (this.waiting.size === 0) return;
    const batch = new Map<K, { resolve: (v: V | undefined) => void; reject: (e: unknown) => void }[]>();
    for (const [key, callers] of this.waiting) {
      if (batch.size >= this.maxBatch) break;
      batch.set(key, callers);
    }
    for (const key of batch.keys()) this.waiting.delete(key);
    this.inFlight = true;
    this.readMany([...batch.keys()])
      .then(
        (found) => {
          for (const [key, callers] of batch) for (const caller of callers) caller.resolve(found.get(key));
        },
        (err: unknown) => {
          for (const callers of batch.values()) for (const caller of callers) caller.reject(err);
        },
      )
      .finally(() => {
        this.inFlight = false;
        this.next();
      });
  }
}
