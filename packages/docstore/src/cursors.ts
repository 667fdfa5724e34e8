/**
 * Server-side cursors for find / aggregate / listIndexes / listCollections. A cursor holds a generator
 * positioned in its source (an LMDB range scan for index-ordered finds), not a materialized array, so a
 * getMore continues where the previous batch stopped. Idle cursors are reaped like MongoDB's (10 minutes).
 */
import { BSON, type Document, Long } from 'bson';
import { CommandError } from './errors';
import { MAX_BSON_OBJECT_SIZE, ReplyParts } from './wire';

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

/** Documents at least this large are referenced by the reply instead of copied into it. */
const REFERENCE_DOC_BYTES = 16 * 1024;

/**
 * Builds `{ cursor: { <batchKey>: [...], id, ns }, ok: 1 }` around already serialized documents, so stored
 * bytes go to the client without being parsed and serialized again. Small documents are copied into the
 * envelope; large ones (GridFS chunks) are passed on as their own pieces and written as they are.
 */
export function cursorReply(
  batchKey: 'firstBatch' | 'nextBatch',
  docs: Buffer[],
  id: bigint,
  ns: string,
): ReplyParts {
  let arrayLength = 4 + 1;
  let referenced = 0;
  for (let i = 0; i < docs.length; i++) {
    arrayLength += 1 + String(i).length + 1 + docs[i].length;
    if (docs[i].length >= REFERENCE_DOC_BYTES) referenced += docs[i].length;
  }
  const nsLength = Buffer.byteLength(ns, 'utf8');
  const cursorLength =
    4 + (1 + batchKey.length + 1 + arrayLength) + (1 + 3 + 8) + (1 + 3 + 4 + nsLength + 1) + 1;
  const total = 4 + (1 + 7 + cursorLength) + (1 + 3 + 8) + 1;
  const out = Buffer.allocUnsafe(total - referenced);
  const parts: Buffer[] = [];
  let partStart = 0;
  let p = 0;
  const cstr = (str: string): void => {
    p += out.write(str, p, 'utf8');
    out[p++] = 0;
  };
  out.writeInt32LE(total, p);
  p += 4;
  out[p++] = 0x03;
  cstr('cursor');
  out.writeInt32LE(cursorLength, p);
  p += 4;
  out[p++] = 0x04;
  cstr(batchKey);
  out.writeInt32LE(arrayLength, p);
  p += 4;
  for (let i = 0; i < docs.length; i++) {
    out[p++] = 0x03;
    cstr(String(i));
    if (docs[i].length >= REFERENCE_DOC_BYTES) {
      parts.push(out.subarray(partStart, p), docs[i]);
      partStart = p;
    } else {
      p += docs[i].copy(out, p);
    }
  }
  out[p++] = 0;
  out[p++] = 0x12;
  cstr('id');
  out.writeBigInt64LE(id, p);
  p += 8;
  out[p++] = 0x02;
  cstr('ns');
  out.writeInt32LE(nsLength + 1, p);
  p += 4;
  cstr(ns);
  out[p++] = 0; // end of cursor
  out[p++] = 0x01;
  cstr('ok');
  out.writeDoubleLE(1, p);
  p += 8;
  out[p++] = 0; // end of reply
  parts.push(out.subarray(partStart, p));
  return new ReplyParts(parts, total);
}

export function toBigInt(v: unknown): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return BigInt(Math.trunc(v));
  if (v instanceof Long) return v.toBigInt();
  throw new CommandError('TypeMismatch', 'cursor id must be a number');
}
