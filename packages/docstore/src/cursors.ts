/**
 * Server-side cursors for find / aggregate / listIndexes / listCollections. A cursor holds a generator
 * positioned in its source (an LMDB range scan for index-ordered finds), not a materialized array, so a
 * getMore continues where the previous batch stopped. Idle cursors are reaped like MongoDB's (10 minutes).
 */
import { BSON, type Document, Long } from 'bson';
import { CommandError } from './errors';
import { MAX_BSON_OBJECT_SIZE } from './wire';

/** One result: stored bytes when no projection applies, otherwise a document to serialize. */
export type ResultItem = Buffer | Document;

const IDLE_TIMEOUT_MS = 10 * 60 * 1000;
/** Leave room for the reply envelope inside the 16 MiB BSON limit. */
const MAX_BATCH_BYTES = MAX_BSON_OBJECT_SIZE - 64 * 1024;

export class ResultCursor {
  private peeked: ResultItem | undefined;
  private done = false;
  lastUsed = Date.now();

  constructor(
    readonly id: bigint,
    readonly ns: string,
    private readonly source: Iterator<ResultItem>,
  ) {}

  private next(): ResultItem | undefined {
    if (this.peeked !== undefined) {
      const p = this.peeked;
      this.peeked = undefined;
      return p;
    }
    if (this.done) return undefined;
    const r = this.source.next();
    if (r.done) {
      this.done = true;
      return undefined;
    }
    return r.value;
  }

  get exhausted(): boolean {
    if (this.peeked !== undefined) return false;
    const n = this.next();
    if (n === undefined) return true;
    this.peeked = n;
    return false;
  }

  /** Up to `count` serialized documents (0 = no count limit), never over the reply size limit. */
  batch(count: number): Buffer[] {
    this.lastUsed = Date.now();
    const out: Buffer[] = [];
    let bytes = 0;
    while (count === 0 || out.length < count) {
      const item = this.next();
      if (item === undefined) break;
      const raw = Buffer.isBuffer(item) ? item : Buffer.from(BSON.serialize(item));
      if (out.length > 0 && bytes + raw.length > MAX_BATCH_BYTES) {
        this.peeked = item;
        break;
      }
      out.push(raw);
      bytes += raw.length;
    }
    return out;
  }

  close(): void {
    this.done = true;
    this.source.return?.(undefined);
  }
}

export class CursorRegistry {
  private readonly cursors = new Map<bigint, ResultCursor>();
  private nextId = BigInt(Date.now()) * 1000n;
  private readonly reaper: NodeJS.Timeout;

  constructor() {
    this.reaper = setInterval(() => this.reap(), 60_000);
    this.reaper.unref();
  }

  create(ns: string, source: Iterator<ResultItem>): ResultCursor {
    this.nextId += 1n;
    return new ResultCursor(this.nextId, ns, source);
  }

  keep(cursor: ResultCursor): void {
    this.cursors.set(cursor.id, cursor);
  }

  get(id: bigint): ResultCursor | undefined {
    return this.cursors.get(id);
  }

  kill(id: bigint): boolean {
    const c = this.cursors.get(id);
    if (!c) return false;
    c.close();
    this.cursors.delete(id);
    return true;
  }

  private reap(): void {
    const now = Date.now();
    for (const [id, c] of this.cursors) if (now - c.lastUsed > IDLE_TIMEOUT_MS) this.kill(id);
  }

  closeAll(): void {
    clearInterval(this.reaper);
    for (const id of [...this.cursors.keys()]) this.kill(id);
  }
}

function cstring(s: string): Buffer {
  return Buffer.concat([Buffer.from(s, 'utf8'), Buffer.from([0])]);
}

function int32(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeInt32LE(n, 0);
  return b;
}

function byteLength(parts: Buffer[]): number {
  let size = 0;
  for (const p of parts) size += p.length;
  return size;
}

/**
 * Builds `{ cursor: { <batchKey>: [...], id, ns }, ok: 1 }` around already serialized documents, so stored
 * bytes go to the client without being deserialized and serialized again. Sizes are computed first and the
 * reply is assembled with a single copy: replies carry whole GridFS chunks, where copies dominate the cost.
 */
export function cursorReply(
  batchKey: 'firstBatch' | 'nextBatch',
  docs: Buffer[],
  id: bigint,
  ns: string,
): Buffer {
  const arrayElements: Buffer[] = [];
  docs.forEach((d, i) => arrayElements.push(Buffer.from([0x03]), cstring(String(i)), d));
  const arraySize = 4 + byteLength(arrayElements) + 1;
  const idBuf = Buffer.allocUnsafe(8);
  idBuf.writeBigInt64LE(id, 0);
  const nsBytes = Buffer.from(ns, 'utf8');
  const cursorHead = [Buffer.from([0x04]), cstring(batchKey)];
  const cursorTail = [
    Buffer.from([0x12]),
    cstring('id'),
    idBuf,
    Buffer.from([0x02]),
    cstring('ns'),
    int32(nsBytes.length + 1),
    nsBytes,
    Buffer.from([0]),
  ];
  const cursorSize = 4 + byteLength(cursorHead) + arraySize + byteLength(cursorTail) + 1;
  const ok = Buffer.allocUnsafe(8);
  ok.writeDoubleLE(1, 0);
  const replyHead = [Buffer.from([0x03]), cstring('cursor')];
  const replyTail = [Buffer.from([0x01]), cstring('ok'), ok];
  const replySize = 4 + byteLength(replyHead) + cursorSize + byteLength(replyTail) + 1;
  const zero = Buffer.from([0]);
  return Buffer.concat(
    [
      int32(replySize),
      ...replyHead,
      int32(cursorSize),
      ...cursorHead,
      int32(arraySize),
      ...arrayElements,
      zero,
      ...cursorTail,
      zero,
      ...replyTail,
      zero,
    ],
    replySize,
  );
}

export function toBigInt(v: unknown): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return BigInt(Math.trunc(v));
  if (v instanceof Long) return v.toBigInt();
  throw new CommandError('TypeMismatch', 'cursor id must be a number');
}
