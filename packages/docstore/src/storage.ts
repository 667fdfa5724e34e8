/**
 * The LMDB layer: one environment per data directory with three named databases.
 *  - `catalog`: namespace -> BSON of the collection's metadata (options, index specs, multikey flags).
 *  - `docs`:    u32 collection id + encoded `_id` -> the document's BSON bytes (as the client sent them).
 *  - `index`:   u32 index id + encoded key (+ encoded `_id` unless unique) -> encoded `_id`.
 * The writes queued during one event-loop turn, from every connection, share one synchronous LMDB
 * transaction and commit; a write is acknowledged only after that commit (and, with syncIntervalMs 0, an
 * fsync after it).
 */
import { BSON, type Document, ObjectId } from 'bson';
import { type Database, type RootDatabase, open } from 'lmdb';
import { Query } from 'mingo/query';
import { valuesAtPath } from './bson-order';
import { MINGO_OPTIONS } from './bson-operators';
import { CommandError } from './errors';
import { encodeCompound, encodeValue, prefixEnd } from './index-key';

export interface IndexSpec {
  /** Globally unique id, the prefix of this index's keys. 0 for `_id_`, which lives in `docs`. */
  id: number;
  name: string;
  key: Array<[string, 1 | -1]>;
  unique: boolean;
  sparse: boolean;
  partialFilterExpression?: Document;
  expireAfterSeconds?: number;
  multikey: boolean;
}

export interface CollectionMeta {
  id: number;
  db: string;
  name: string;
  options: Document;
  indexes: IndexSpec[];
}

/** A stored document; parsed only when something looks inside it (a plain find returns the bytes). */
export class StoredDoc {
  private parsed: Document | undefined;

  constructor(
    /** Encoded `_id` (the suffix of the docs key). */
    readonly idKey: Buffer,
    readonly raw: Buffer,
  ) {}

  get doc(): Document {
    this.parsed ??= deserialize(this.raw);
    return this.parsed;
  }
}

const NEXT_ID_KEY = '\u0000nextId';
/** Range reads start small (a page of history needs ~50 entries) and grow for long scans. */
const FIRST_SCAN_CHUNK = 64;
const MAX_SCAN_CHUNK = 4096;

function u32(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(n, 0);
  return b;
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function keyPatternDoc(key: Array<[string, 1 | -1]>): Document {
  const out: Document = {};
  for (const [k, d] of key) out[k] = d;
  return out;
}

export function deserialize(raw: Buffer): Document {
  return BSON.deserialize(raw, { validation: { utf8: false } });
}

export class Storage {
  readonly root: RootDatabase;
  readonly catalogDb: Database<Buffer, string>;
  readonly docsDb: Database<Buffer, Buffer>;
  readonly indexDb: Database<Buffer, Buffer>;
  private readonly catalog = new Map<string, CollectionMeta>();
  private readonly partialQueries = new Map<number, Query>();
  private nextId = 1;

  private syncTimer: NodeJS.Timeout | undefined;
  /** 0 = every commit is fsynced before its writes are acknowledged. */
  private readonly syncIntervalMs: number;
  private readonly sizes = new Map<number, { count: number; size: number }>();
  private pendingWrites: Array<{
    fn: () => unknown;
    resolve: (v: unknown) => void;
    reject: (e: unknown) => void;
  }> = [];
  /** Waiting for the next fsync; a flush covers every commit completed before it started. */
  private fsyncWaiters: Array<(err?: Error) => void> = [];
  private fsyncRunning = false;

  /**
   * `syncIntervalMs` > 0: a commit is written to the OS before its write is acknowledged (it survives the
   * process being killed) and the file is fsynced every `syncIntervalMs` (what may be lost on power failure
   * — MongoDB's journal works the same way with its 100 ms commit interval). 0: every commit is fsynced
   * before it is acknowledged.
   */
  constructor(
    readonly path: string,
    syncIntervalMs = 100,
  ) {
    this.syncIntervalMs = syncIntervalMs;
    this.root = open({
      path,
      // lmdb-js would otherwise treat a directory name containing a dot as a file name.
      noSubdir: false,
      // Commits write their pages to the OS; fsync is ours to schedule (timer, or after each commit).
      noSync: true,
      maxDbs: 8,
      compression: false,
      mapSize: 2 * 1024 ** 3,
    });
    if (syncIntervalMs > 0) {
      this.syncTimer = setInterval(() => this.afterFsync(() => undefined), syncIntervalMs);
      this.syncTimer.unref();
    }
    this.catalogDb = this.root.openDB<Buffer, string>({ name: 'catalog', encoding: 'binary' });
    this.docsDb = this.root.openDB<Buffer, Buffer>({
      name: 'docs',
      encoding: 'binary',
      keyEncoding: 'binary',
    });
    this.indexDb = this.root.openDB<Buffer, Buffer>({
      name: 'index',
      encoding: 'binary',
      keyEncoding: 'binary',
    });
    for (const { key, value } of this.catalogDb.getRange()) {
      if (key === NEXT_ID_KEY) {
        this.nextId = value.readUInt32BE(0);
        continue;
      }
      const meta = deserialize(value) as CollectionMeta;
      this.catalog.set(key, meta);
    }
  }

  async close(): Promise<void> {
    if (this.syncTimer) clearInterval(this.syncTimer);
    await this.write(() => undefined); // queued after every write accepted before close
    await new Promise<void>((resolve) => this.afterFsync(() => resolve()));
    await this.root.close();
  }

  /**
   * Calls `done` once an fsync that started after this call has finished (`mdb_env_sync` on a libuv thread;
   * lmdb-js has it on the root but not in its types). Callers arriving during a flush share the next one.
   */
  private afterFsync(done: (err?: Error) => void): void {
    this.fsyncWaiters.push(done);
    if (!this.fsyncRunning) this.startFsync();
  }

  private startFsync(): void {
    const waiters = this.fsyncWaiters;
    this.fsyncWaiters = [];
    this.fsyncRunning = true;
    (this.root as unknown as { sync(cb: (err?: Error) => void): void }).sync((err) => {
      this.fsyncRunning = false;
      for (const w of waiters) w(err);
      if (this.fsyncWaiters.length) this.startFsync();
    });
  }

  /** Runs `fn` inside one write transaction; resolves after the commit (see the constructor for fsync). */
  write<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pendingWrites.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (this.pendingWrites.length === 1) setImmediate(() => this.flushWrites());
    });
  }

  /**
   * The writes queued during one event-loop turn (every request that arrived on any connection) run in one
   * synchronous LMDB transaction on this thread: one commit — its pages written to the OS, no fsync — for
   * the whole batch, each write with its own result or error. A commit of this kind takes microseconds, and
   * committing here avoids lmdb-js's asynchronous transactions, whose hand-offs to and from their writer
   * thread cost more than the commit itself. A failing write must throw before it changes anything (all
   * write paths check first), since the shared transaction is not rolled back for one write.
   */
  private flushWrites(): void {
    const batch = this.pendingWrites;
    this.pendingWrites = [];
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    try {
      this.root.transactionSync(() => {
        for (const w of batch) {
          try {
            outcomes.push({ ok: true, value: w.fn() });
          } catch (error) {
            outcomes.push({ ok: false, error });
          }
        }
      });
    } catch (err) {
      for (const w of batch) w.reject(err);
      return;
    }
    const settle = (err?: Error): void => {
      batch.forEach((w, i) => {
        const o = outcomes[i];
        if (err) w.reject(err);
        else if (o.ok) w.resolve(o.value);
        else w.reject(o.error);
      });
    };
    if (this.syncIntervalMs === 0) this.afterFsync(settle);
    else settle();
  }

  // ---- catalog -------------------------------------------------------------------------------------

  collection(db: string, name: string): CollectionMeta | undefined {
    return this.catalog.get(`${db}.${name}`);
  }

  collections(db?: string): CollectionMeta[] {
    return [...this.catalog.values()].filter((c) => db === undefined || c.db === db);
  }

  databases(): string[] {
    return [...new Set([...this.catalog.values()].map((c) => c.db))];
  }

  private allocateId(): number {
    const id = this.nextId++;
    this.catalogDb.putSync(NEXT_ID_KEY, u32(this.nextId));
    return id;
  }

  /** Persists metadata changes; call inside `write`. */
  saveMeta(meta: CollectionMeta): void {
    this.catalogDb.putSync(`${meta.db}.${meta.name}`, Buffer.from(BSON.serialize(meta)));
    this.catalog.set(`${meta.db}.${meta.name}`, meta);
  }

  /** Creates the collection inside the current transaction (no-op if it exists). */
  ensureCollection(db: string, name: string, options: Document = {}): CollectionMeta {
    const existing = this.collection(db, name);
    if (existing) return existing;
    const meta: CollectionMeta = {
      id: this.allocateId(),
      db,
      name,
      options,
      indexes: [{ id: 0, name: '_id_', key: [['_id', 1]], unique: true, sparse: false, multikey: false }],
    };
    this.saveMeta(meta);
    return meta;
  }

  dropCollection(meta: CollectionMeta): void {
    this.sizes.delete(meta.id);
    const prefix = u32(meta.id);
    for (const key of this.docsDb.getKeys({ start: prefix, end: prefixEnd(prefix) }))
      this.docsDb.removeSync(key);
    for (const ix of meta.indexes) if (ix.id !== 0) this.dropIndexEntries(ix);
    this.catalogDb.removeSync(`${meta.db}.${meta.name}`);
    this.catalog.delete(`${meta.db}.${meta.name}`);
  }

  renameCollection(meta: CollectionMeta, db: string, name: string): void {
    this.catalogDb.removeSync(`${meta.db}.${meta.name}`);
    this.catalog.delete(`${meta.db}.${meta.name}`);
    meta.db = db;
    meta.name = name;
    this.saveMeta(meta);
  }

  dropIndexEntries(ix: IndexSpec): void {
    const prefix = u32(ix.id);
    for (const key of this.indexDb.getKeys({ start: prefix, end: prefixEnd(prefix) }))
      this.indexDb.removeSync(key);
    this.partialQueries.delete(ix.id);
  }

  /** Adds an index and builds its entries from the existing documents (inside `write`). */
  addIndex(meta: CollectionMeta, spec: Omit<IndexSpec, 'id' | 'multikey'>): IndexSpec {
    const ix: IndexSpec = { ...spec, id: this.allocateId(), multikey: false };
    const built: Array<[Buffer, Buffer]> = [];
    const builtUnique = new Map<string, Buffer>();
    for (const stored of this.scanRange(this.docsPrefix(meta), prefixEnd(this.docsPrefix(meta)), false)) {
      const keys = this.indexKeys(ix, stored.doc);
      if (!keys) continue;
      for (const k of keys) {
        const full = this.indexEntryKey(ix, k, stored.idKey);
        if (ix.unique) {
          const other = this.indexDb.get(full) ?? builtUnique.get(full.toString('latin1'));
          if (other && !other.equals(stored.idKey)) {
            throw this.duplicateKeyError(meta, ix, stored.doc);
          }
        }
        built.push([full, stored.idKey]);
        if (ix.unique) builtUnique.set(full.toString('latin1'), stored.idKey);
      }
    }
    for (const [k, v] of built) this.indexDb.putSync(k, v);
    meta.indexes.push(ix);
    this.saveMeta(meta);
    return ix;
  }

  // ---- documents -----------------------------------------------------------------------------------

  docsPrefix(meta: CollectionMeta): Buffer {
    return u32(meta.id);
  }

  docKey(meta: CollectionMeta, idKey: Buffer): Buffer {
    return Buffer.concat([u32(meta.id), idKey]);
  }

  getById(meta: CollectionMeta, idKey: Buffer): StoredDoc | undefined {
    const raw = this.docsDb.get(this.docKey(meta, idKey));
    if (!raw) return undefined;
    return new StoredDoc(idKey, raw);
  }

  /** Iterates docs-db entries in [start, end) (or reversed). */
  *scanRange(start: Buffer, end: Buffer, reverse: boolean): Generator<StoredDoc> {
    for (const { key, value } of this.chunkedRange(this.docsDb, start, end, reverse)) {
      yield new StoredDoc(key.subarray(4), value);
    }
  }

  /** Iterates `_id` keys from an index range. */
  *scanIndexRange(start: Buffer, end: Buffer, reverse: boolean): Generator<Buffer> {
    for (const { value } of this.chunkedRange(this.indexDb, start, end, reverse)) yield value;
  }

  /**
   * Entries in [start, end) (or reversed), read in growing chunks copied out of LMDB, so no read
   * transaction is held while the caller consumes them.
   */
  private *chunkedRange(
    db: Database<Buffer, Buffer>,
    start: Buffer,
    end: Buffer,
    reverse: boolean,
  ): Generator<{ key: Buffer; value: Buffer }> {
    let from = reverse ? end : start;
    let exclusive = false;
    let size = FIRST_SCAN_CHUNK;
    for (;;) {
      const chunk = reverse
        ? db.getRange({
            start: from,
            end: start,
            reverse: true,
            limit: size,
            exclusiveStart: true,
            inclusiveEnd: true,
          })
        : db.getRange({ start: from, end, limit: size, exclusiveStart: exclusive });
      // lmdb-js returns binary keys and values as copies out of the map (never views of it), so they are
      // only wrapped as Buffers here, not copied again.
      const entries = [...chunk].map(({ key, value }) => ({ key: asBuffer(key), value: asBuffer(value) }));
      yield* entries;
      if (entries.length < size) return;
      from = entries[entries.length - 1].key;
      exclusive = true;
      size = Math.min(size * 4, MAX_SCAN_CHUNK);
    }
  }

  /** The `_id` key a unique index holds for a full key, if any. */
  uniqueIndexEntry(ix: IndexSpec, key: Buffer): Buffer | undefined {
    const value = this.indexDb.get(Buffer.concat([u32(ix.id), key]));
    return value ? asBuffer(value) : undefined;
  }

  indexPrefix(ix: IndexSpec): Buffer {
    return u32(ix.id);
  }

  private indexEntryKey(ix: IndexSpec, key: Buffer, idKey: Buffer): Buffer {
    return ix.unique ? Buffer.concat([u32(ix.id), key]) : Buffer.concat([u32(ix.id), key, idKey]);
  }

  private partialQuery(ix: IndexSpec): Query | undefined {
    if (!ix.partialFilterExpression) return undefined;
    let q = this.partialQueries.get(ix.id);
    if (!q) {
      q = new Query(ix.partialFilterExpression, MINGO_OPTIONS);
      this.partialQueries.set(ix.id, q);
    }
    return q;
  }

  /** The encoded keys a document contributes to an index, or null when sparse/partial excludes it. */
  indexKeys(ix: IndexSpec, doc: Document): Buffer[] | null {
    const partial = this.partialQuery(ix);
    if (partial && !partial.test(doc)) return null;
    const perField: unknown[][] = [];
    let present = false;
    for (const [path] of ix.key) {
      const found = valuesAtPath(doc, path);
      if (found.length > 0) present = true;
      const flat: unknown[] = [];
      for (const v of found) {
        if (Array.isArray(v)) {
          if (!ix.multikey) ix.multikey = true;
          if (v.length === 0) flat.push(undefined);
          else flat.push(...(v as unknown[]));
        } else flat.push(v);
      }
      if (found.length > 1 && !ix.multikey) ix.multikey = true;
      perField.push(flat.length ? flat : [null]);
    }
    if (ix.sparse && !present) return null;
    const dirs = ix.key.map(([, d]) => d);
    let combos: unknown[][] = [[]];
    for (const values of perField) {
      const next: unknown[][] = [];
      for (const c of combos) for (const v of values) next.push([...c, v]);
      combos = next;
    }
    const seen = new Set<string>();
    const out: Buffer[] = [];
    for (const c of combos) {
      const k = encodeCompound(c, dirs);
      const hex = k.toString('latin1');
      if (seen.has(hex)) continue;
      seen.add(hex);
      out.push(k);
    }
    return out;
  }

  duplicateKeyError(meta: CollectionMeta, ix: IndexSpec, doc: Document): CommandError {
    const keyValue: Document = {};
    for (const [path] of ix.key) {
      const v = valuesAtPath(doc, path);
      keyValue[path] = v.length ? v[0] : null;
    }
    const shown = Object.entries(keyValue)
      .map(
        ([k, v]) => `${k}: ${JSON.stringify(v instanceof ObjectId ? `ObjectId('${v.toHexString()}')` : v)}`,
      )
      .join(', ');
    return new CommandError(
      'DuplicateKey',
      `E11000 duplicate key error collection: ${meta.db}.${meta.name} index: ${ix.name} dup key: { ${shown} }`,
      { keyPattern: keyPatternDoc(ix.key), keyValue },
    );
  }

  private secondaryEntries(
    meta: CollectionMeta,
    doc: Document,
    indexes: readonly IndexSpec[] = meta.indexes,
  ): Array<{ ix: IndexSpec; keys: Buffer[] }> {
    const out: Array<{ ix: IndexSpec; keys: Buffer[] }> = [];
    for (const ix of indexes) {
      if (ix.id === 0) continue;
      const wasMultikey = ix.multikey;
      const keys = this.indexKeys(ix, doc);
      if (ix.multikey !== wasMultikey) this.saveMeta(meta);
      if (keys) out.push({ ix, keys });
    }
    return out;
  }

  /** Inserts inside `write`; throws DuplicateKey without writing anything on conflict. */
  insertDoc(meta: CollectionMeta, doc: Document, raw: Buffer): void {
    const idKey = encodeValue(doc._id);
    const key = this.docKey(meta, idKey);
    if (this.docsDb.get(key)) throw this.duplicateKeyError(meta, meta.indexes[0], doc);
    const entries = this.secondaryEntries(meta, doc);
    for (const { ix, keys } of entries) {
      if (!ix.unique) continue;
      for (const k of keys) {
        const other = this.indexDb.get(this.indexEntryKey(ix, k, idKey));
        if (other && !other.equals(idKey)) throw this.duplicateKeyError(meta, ix, doc);
      }
    }
    this.docsDb.putSync(key, raw);
    this.adjustSize(meta, 1, raw.length);
    for (const { ix, keys } of entries)
      for (const k of keys) this.indexDb.putSync(this.indexEntryKey(ix, k, idKey), idKey);
  }

  /**
   * Replaces a stored document (same `_id`) inside `write`, maintaining index entries. `touchedFields`,
   * when given, are the only top-level fields that changed: indexes on other fields (and not partial,
   * whose filter may read any field) keep their entries, and the old document is not even parsed when
   * no index is left (a room counter's `$inc`).
   */
  replaceDoc(
    meta: CollectionMeta,
    old: StoredDoc,
    doc: Document,
    raw: Buffer,
    touchedFields?: ReadonlySet<string>,
  ): void {
    const idKey = old.idKey;
    const indexes = touchedFields
      ? meta.indexes.filter(
          (ix) =>
            ix.id !== 0 &&
            (ix.partialFilterExpression !== undefined ||
              ix.key.some(([path]) => touchedFields.has(path.split('.')[0]))),
        )
      : meta.indexes;
    const affected = indexes.some((ix) => ix.id !== 0);
    const before = affected ? this.secondaryEntries(meta, old.doc, indexes) : [];
    const after = affected ? this.secondaryEntries(meta, doc, indexes) : [];
    const oldKeys = new Set<string>();
    for (const { ix, keys } of before)
      for (const k of keys) oldKeys.add(this.indexEntryKey(ix, k, idKey).toString('latin1'));
    const added: Buffer[] = [];
    const kept = new Set<string>();
    for (const { ix, keys } of after) {
      for (const k of keys) {
        const full = this.indexEntryKey(ix, k, idKey);
        const s = full.toString('latin1');
        kept.add(s);
        if (oldKeys.has(s)) continue;
        if (ix.unique) {
          const other = this.indexDb.get(full);
          if (other && !other.equals(idKey)) throw this.duplicateKeyError(meta, ix, doc);
        }
        added.push(full);
      }
    }
    for (const s of oldKeys) if (!kept.has(s)) this.indexDb.removeSync(Buffer.from(s, 'latin1'));
    for (const full of added) this.indexDb.putSync(full, idKey);
    this.docsDb.putSync(this.docKey(meta, idKey), raw);
    this.adjustSize(meta, 0, raw.length - old.raw.length);
  }

  removeDoc(meta: CollectionMeta, stored: StoredDoc): void {
    for (const { ix, keys } of this.secondaryEntries(meta, stored.doc)) {
      for (const k of keys) this.indexDb.removeSync(this.indexEntryKey(ix, k, stored.idKey));
    }
    this.docsDb.removeSync(this.docKey(meta, stored.idKey));
    this.adjustSize(meta, -1, -stored.raw.length);
  }

  /** Document count and total BSON bytes of a collection. */
  /**
   * Document count and total BSON bytes of a collection. The first call scans the collection; after that
   * every write keeps the figures current in memory (collStats/dbStats are polled by the admin console).
   */
  stats(meta: CollectionMeta): { count: number; size: number } {
    const known = this.sizes.get(meta.id);
    if (known) return { ...known };
    let count = 0;
    let size = 0;
    const prefix = this.docsPrefix(meta);
    for (const { value } of this.docsDb.getRange({ start: prefix, end: prefixEnd(prefix) })) {
      count++;
      size += value.length;
    }
    this.sizes.set(meta.id, { count, size });
    return { count, size };
  }

  private adjustSize(meta: CollectionMeta, count: number, bytes: number): void {
    const known = this.sizes.get(meta.id);
    if (!known) return;
    known.count += count;
    known.size += bytes;
  }

  indexEntryCount(ix: IndexSpec): number {
    const prefix = this.indexPrefix(ix);
    return this.indexDb.getKeysCount({ start: prefix, end: prefixEnd(prefix) });
  }
}
