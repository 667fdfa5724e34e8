/** Store requests (insert commands) of one upload in flight at once. */
export const UPLOAD_STORES_IN_FLIGHT = 2;
/** Consecutive full chunks stored by one request at most (one insert command of several documents). */
export const UPLOAD_CHUNKS_PER_STORE = 4;
/**
 * How many chunks one upload may hold in memory: those being stored, a full batch filling behind them
 * and the one filling. 13 × 255 KiB ≈ 3.2 MiB per upload in progress.
 */
export const UPLOAD_BUFFERED_CHUNKS =
  UPLOAD_STORES_IN_FLIGHT * UPLOAD_CHUNKS_PER_STORE + UPLOAD_CHUNKS_PER_STORE + 1;

/** Consecutive chunks handed to the store in one request. */
export interface ChunkBatch {
  /** Number of the first chunk. */
  first: number;
  /** Each chunk's bytes (all full but possibly the last one of the upload or request). */
  chunks: Buffer[];
  /** Chunk `first` is stored already, shorter (this request began inside it): replace it. */
  replaceFirst: boolean;
  /** Bytes received once this batch is stored (the running count a quota compares against). */
  receivedBytes: number;
  /** Bytes of this batch not stored before (excludes the stored head of a replaced chunk). */
  newBytes: number;
}

/** A store request failed: the bytes from `batch.first` on are not stored (the upload can resume). */
export class ChunkStoreFailure extends Error {
  constructor(
    readonly batch: { first: number; size: number },
    override readonly cause: unknown,
  ) {
    super(`storing chunks ${batch.first}..${batch.first + batch.size - 1} failed`);
  }
}

export interface UploadChunkWriterOptions {
  chunkSize: number;
  /** Bytes committed before this request. */
  offset: number;
  /** The stored bytes of chunk floor(offset / chunkSize) when the offset lies inside it. */
  storedTail?: Buffer;
  /** Runs before each batch is stored, in order; throwing stops the upload before the batch is stored. */
  beforeStore(batch: ChunkBatch): Promise<void>;
  store(batch: ChunkBatch): Promise<void>;
  /**
   * The committed prefix grew to `committedBytes`: `added` are the bytes it grew by, in order. Called in
   * order, one call at a time; a throw stops the upload like a failed store would.
   */
  onCommitted(committedBytes: number, added: Buffer[]): Promise<void>;
  buffered?: number;
  inFlight?: number;
  perStore?: number;
}

interface Chunk {
  n: number;
  data: Buffer;
  fill: number;
  /** Bytes of this chunk committed before it was (re)stored. */
  storedFill: number;
}

interface InFlight {
  batch: ChunkBatch;
  chunks: Chunk[];
  done: boolean;
  error?: unknown;
}

/**
 * Turns an upload's incoming bytes into stored chunks with a bounded window: chunks fill one buffer
 * each, up to `inFlight` store requests run at once, and at most `buffered` chunk buffers exist. A slow
 * store holds up the body, not memory. When no store runs, the chunks waiting are stored at once (a
 * slow upload's watchers see each chunk as soon as it is full); while one runs, the next request waits
 * for a full batch of `perStore` chunks (or the end of the body): fewer, larger inserts cost the server
 * and the database less per byte than many small ones.
 * The committed offset only ever covers a contiguous prefix of stored chunks: a batch stored after a
 * failed one does not count (its chunks are strays beyond the offset, which the caller removes).
 */
export class UploadChunkWriter {
  private readonly chunkSize: number;
  private readonly maxBuffered: number;
  private readonly maxInFlight: number;
  private readonly perStore: number;
  private readonly free: Buffer[] = [];
  private allocated = 0;
  private filling: Chunk;
  private readonly waiting: Chunk[] = [];
  private readonly inFlight: InFlight[] = [];
  private pumping?: Promise<void>;
  private advancing: Promise<void> = Promise.resolve();
  private failure?: unknown;
  /** finish() was called: no more chunks are coming, so a partial batch need not wait. */
  private finishing = false;
  private wake?: () => void;
  private committedBytes: number;

  constructor(private readonly options: UploadChunkWriterOptions) {
    this.chunkSize = options.chunkSize;
    this.maxBuffered = Math.max(2, options.buffered ?? UPLOAD_BUFFERED_CHUNKS);
    this.maxInFlight = Math.max(1, options.inFlight ?? UPLOAD_STORES_IN_FLIGHT);
    this.perStore = Math.max(1, options.perStore ?? UPLOAD_CHUNKS_PER_STORE);
    this.committedBytes = options.offset;
    const fill = options.offset % this.chunkSize;
    this.filling = {
      n: Math.floor(options.offset / this.chunkSize),
      data: this.take(),
      fill,
      storedFill: fill,
    };
    if (fill > 0) {
      if (!options.storedTail || options.storedTail.length < fill) throw new Error('stored tail is missing');
      options.storedTail.copy(this.filling.data, 0, 0, fill);
    }
  }

  /** Bytes stored as a contiguous prefix (the offset a resumed upload continues from). */
  get committed(): number {
    return this.committedBytes;
  }

  /** Bytes taken in so far (stored or not). */
  get received(): number {
    return this.filling.n * this.chunkSize + this.filling.fill;
  }

  /** Copies a piece of the body into chunk buffers; resolves when there is room for more. */
  async write(piece: Uint8Array): Promise<void> {
    let at = 0;
    while (at < piece.length) {
      if (this.failure !== undefined) throw this.failure;
      const chunk = this.filling;
      const take = Math.min(this.chunkSize - chunk.fill, piece.length - at);
      chunk.data.set(piece.subarray(at, at + take), chunk.fill);
      chunk.fill += take;
      at += take;
      if (chunk.fill === this.chunkSize) {
        this.waiting.push(chunk);
        this.kick();
        this.filling = { n: chunk.n + 1, data: await this.nextBuffer(), fill: 0, storedFill: 0 };
      }
    }
    if (this.failure !== undefined) throw this.failure;
  }

  /** Stores what is left (the partial last chunk) and waits for every store; resolves with the offset. */
  async finish(): Promise<number> {
    this.finishing = true;
    if (this.failure === undefined && this.filling.fill > this.filling.storedFill) {
      this.waiting.push(this.filling);
      this.filling = { ...this.filling, data: Buffer.alloc(0), storedFill: this.filling.fill };
    }
    this.kick();
    await this.settle();
    if (this.failure !== undefined) throw this.failure;
    return this.committedBytes;
  }

  /** Waits until no store is running or about to run (after a failure, nothing new starts). */
  async settle(): Promise<void> {
    for (;;) {
      if (this.failure !== undefined) this.waiting.length = 0;
      if (this.pumping) await this.pumping;
      else if (this.inFlight.length > 0) await this.changed();
      else {
        // Commits of stores that settled may still run; the last of them starts the chunks waiting.
        await this.advancing;
        if (this.pumping || this.inFlight.length > 0) continue;
        if (this.waiting.length === 0 || this.failure !== undefined) break;
        this.kick();
      }
    }
  }

  private take(): Buffer {
    this.allocated += 1;
    return Buffer.allocUnsafe(this.chunkSize);
  }

  private async nextBuffer(): Promise<Buffer> {
    for (;;) {
      if (this.failure !== undefined) throw this.failure;
      const reused = this.free.pop();
      if (reused) return reused;
      if (this.allocated < this.maxBuffered) return this.take();
      await this.changed();
    }
  }

  private changed(): Promise<void> {
    return new Promise((resolve) => {
      const previous = this.wake;
      this.wake = () => {
        previous?.();
        resolve();
      };
    });
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private fail(err: unknown): void {
    if (this.failure === undefined) this.failure = err;
    this.notify();
  }

  /** Whether a store request should start now. */
  private ready(): boolean {
    if (this.failure !== undefined || this.waiting.length === 0) return false;
    if (this.inFlight.length >= this.maxInFlight) return false;
    return this.inFlight.length === 0 || this.waiting.length >= this.perStore || this.finishing;
  }

  /** Called whenever a chunk is queued or a store settles. */
  private kick(): void {
    if (this.pumping || !this.ready()) return;
    this.pumping = this.pump().finally(() => {
      this.pumping = undefined;
      // A chunk queued while this pump was finishing found it still running: start another.
      this.kick();
      this.notify();
    });
  }

  /** Starts stores while ready(); one pump at a time keeps batches in order. */
  private async pump(): Promise<void> {
    while (this.ready()) {
      const chunks = this.takeBatch();
      const last = chunks[chunks.length - 1]!;
      const batch: ChunkBatch = {
        first: chunks[0]!.n,
        chunks: chunks.map((c) => c.data.subarray(0, c.fill)),
        replaceFirst: chunks[0]!.storedFill > 0,
        receivedBytes: last.n * this.chunkSize + last.fill,
        newBytes: chunks.reduce((sum, c) => sum + c.fill - c.storedFill, 0),
      };
      try {
        await this.options.beforeStore(batch);
      } catch (err) {
        this.fail(err);
        return;
      }
      const entry: InFlight = { batch, chunks, done: false };
      this.inFlight.push(entry);
      this.options.store(batch).then(
        () => this.settled(entry),
        (err: unknown) =>
          this.settled(entry, new ChunkStoreFailure({ first: batch.first, size: chunks.length }, err)),
      );
    }
  }

  /** Full chunks waiting, in order, up to perStore; a chunk to replace is stored on its own. */
  private takeBatch(): Chunk[] {
    const first = this.waiting.shift()!;
    const batch = [first];
    if (first.storedFill > 0) return batch;
    while (batch.length < this.perStore && this.waiting.length > 0) batch.push(this.waiting.shift()!);
    return batch;
  }

  private settled(entry: InFlight, error?: unknown): void {
    entry.done = true;
    entry.error = error;
    this.advancing = this.advancing.then(() => this.advance());
  }

  /** Commits finished batches at the head of the window, in order, and releases their buffers. */
  private async advance(): Promise<void> {
    while (this.inFlight[0]?.done) {
      const entry = this.inFlight.shift()!;
      if (entry.error !== undefined) this.fail(entry.error);
      if (this.failure === undefined) {
        const added = entry.chunks.map((c) => c.data.subarray(c.storedFill, c.fill));
        const last = entry.chunks[entry.chunks.length - 1]!;
        const committed = last.n * this.chunkSize + last.fill;
        try {
          await this.options.onCommitted(committed, added);
          this.committedBytes = committed;
        } catch (err) {
          this.committedBytes = committed;
          this.fail(err);
        }
      }
      for (const chunk of entry.chunks) if (chunk.data.length === this.chunkSize) this.free.push(chunk.data);
      this.notify();
    }
    this.kick();
  }
}
