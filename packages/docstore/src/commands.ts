/**
 * Command handlers: each takes the request body (with document sequences merged in) and returns a reply
 * document, or a pre-serialized reply for cursor batches. Unknown commands answer CommandNotFound (59);
 * known commands with options the docstore does not implement answer NotImplemented (115).
 */
import os from 'node:os';
import { BSON, type Document, Long, ObjectId } from 'bson';
import { Aggregator } from 'mingo/aggregator';
import { type SortSpec, compareBson, makeDocComparator, parseSortSpec, valuesAtPath } from './bson-order';
import { MINGO_OPTIONS } from './bson-operators';
import { CursorRegistry, type ResultItem, cursorReply, toBigInt } from './cursors';
import { CommandError, badValue, notImplemented } from './errors';
import type { FailPoints } from './fail-points';
import { encodeValue } from './index-key';
import { type Plan, choosePlan, executePlan, explainPlan } from './planner';
import {
  type DocPredicate,
  applyUpdate,
  compileFilter,
  compileProjection,
  sortDocs,
  upsertSeed,
  typedView,
  updateKind,
  validateFilter,
  withIdFirst,
} from './query';
import { type CollectionMeta, type IndexSpec, type Storage, type StoredDoc, keyPatternDoc } from './storage';
import {
  MAX_BSON_OBJECT_SIZE,
  MAX_MESSAGE_SIZE_BYTES,
  MAX_WRITE_BATCH_SIZE,
  type RawDocument,
  ReplyParts,
} from './wire';

export const SERVER_VERSION = '7.0.0';
export const MAX_WIRE_VERSION = 21;

export interface ServerState {
  storage: Storage;
  cursors: CursorRegistry;
  startedAt: number;
  connections: { current: number; totalCreated: number };
  opcounters: Record<'insert' | 'query' | 'update' | 'delete' | 'getmore' | 'command', number>;
  /** Test-only fail points (`configureFailPoint`); absent or disabled unless `enableTestCommands`. */
  failPoints?: FailPoints;
}

export interface CommandInput {
  name: string;
  body: Document;
  db: string;
  sequences: Map<string, RawDocument[]>;
  /** The body's exact bytes, when it came from the wire. */
  bodyRaw?: Buffer;
  connectionId: number;
}

export type CommandResult = Document | Buffer | ReplyParts;
type Handler = (state: ServerState, input: CommandInput) => CommandResult | Promise<CommandResult>;

/** Fields every command may carry that the docstore accepts and ignores. */
const GENERIC_FIELDS = new Set([
  '$db',
  'lsid',
  '$clusterTime',
  'comment',
  'maxTimeMS',
  'readConcern',
  'writeConcern',
  '$readPreference',
  'apiVersion',
  'apiStrict',
  'apiDeprecationErrors',
  'bypassDocumentValidation',
  'let',
]);

function rejectUnknownOptions(body: Document, allowed: readonly string[]): void {
  const allow = new Set(allowed);
  for (const key of Object.keys(body).slice(1)) {
    if (GENERIC_FIELDS.has(key) || allow.has(key)) continue;
    throw new CommandError(
      'NotImplemented',
      `option '${key}' of ${Object.keys(body)[0]} is not supported by docstore`,
    );
  }
  const collation = body.collation as Document | undefined;
  if (collation && collation.locale !== 'simple') throw notImplemented('collation');
}

const NAME_FORBIDDEN_DB = /[/\\. "$\0]/;

function checkDbName(db: string): void {
  if (!db || NAME_FORBIDDEN_DB.test(db) || db.length > 63) {
    throw new CommandError('InvalidNamespace', `Invalid database name: '${db}'`);
  }
}

/** The target of a `$out` stage: a collection name, or `{ db, coll }`. */
function outNamespace(spec: unknown, db: string): { db: string; coll: string } {
  const target =
    typeof spec === 'string'
      ? { db, coll: spec }
      : spec && typeof spec === 'object'
        ? { db: (spec as Document).db ?? db, coll: (spec as Document).coll }
        : undefined;
  if (!target || typeof target.db !== 'string' || typeof target.coll !== 'string') {
    throw badValue('$out must be a collection name or { db, coll }');
  }
  return { db: target.db, coll: collectionName({ $out: target.coll }, '$out') };
}

/**
 * `$out`: replaces the target collection's documents with the pipeline's output in one transaction, keeping
 * the target's indexes (as MongoDB does). Everything that could fail is checked before the first write,
 * because an lmdb-js batch transaction cannot be rolled back halfway.
 */
async function replaceCollectionContents(
  s: ServerState,
  db: string,
  coll: string,
  items: Iterator<ResultItem>,
): Promise<void> {
  rejectView(s, db, coll);
  const docs: Document[] = [];
  for (let r = items.next(); !r.done; r = items.next()) {
    docs.push(withIdFirst(Buffer.isBuffer(r.value) ? BSON.deserialize(r.value) : (r.value as Document)));
  }
  const ids = new Set<string>();
  for (const doc of docs) {
    const key = encodeValue(doc._id).toString('latin1');
    if (ids.has(key)) {
      throw new CommandError('DuplicateKey', `$out produced a duplicate _id ${JSON.stringify(doc._id)}`);
    }
    ids.add(key);
  }
  const target = s.storage.collection(db, coll);
  if (target?.indexes.some((ix) => ix.id !== 0 && ix.unique)) {
    throw notImplemented('$out into a collection with unique secondary indexes');
  }
  await s.storage.write(() => {
    const existing = s.storage.collection(db, coll);
    const indexes = existing ? existing.indexes.filter((ix) => ix.id !== 0) : [];
    if (existing) s.storage.dropCollection(existing);
    const meta = s.storage.ensureCollection(db, coll, existing?.options ?? {});
    for (const { id: _id, multikey: _multikey, ...spec } of indexes) s.storage.addIndex(meta, spec);
    for (const doc of docs) s.storage.insertDoc(meta, doc, Buffer.from(BSON.serialize(doc)));
  });
}

const MAX_VIEW_DEPTH = 20;

function isView(meta: CollectionMeta | undefined): boolean {
  return typeof meta?.options.viewOn === 'string';
}

/** Writes, index builds and the like are refused on a view, as MongoDB does. */
function rejectView(s: ServerState, db: string, name: string): void {
  if (isView(s.storage.collection(db, name))) {
    throw new CommandError(
      'CommandNotSupportedOnView',
      `Namespace ${db}.${name} is a view, not a collection`,
    );
  }
}

/**
 * A view's documents: its source collection's documents through the view's pipeline (views on views resolve
 * to their base collection), followed by `stages`. Views are computed on every read, as in MongoDB.
 */
function viewDocuments(s: ServerState, db: string, view: CollectionMeta, stages: Document[]): Document[] {
  let pipeline = [...(view.options.pipeline as Document[]), ...stages];
  let source = s.storage.collection(db, view.options.viewOn as string);
  for (let depth = 1; source && isView(source); depth++) {
    if (depth >= MAX_VIEW_DEPTH) {
      throw new CommandError(
        'ViewDepthLimitExceeded',
        `View depth too deep or view cycle detected (${depth})`,
      );
    }
    pipeline = [...(source.options.pipeline as Document[]), ...pipeline];
    source = s.storage.collection(db, source.options.viewOn as string);
  }
  const input: Document[] = [];
  for (const stored of matchDocs(s, source, { filter: {}, sort: [], skip: 0, limit: 0 }))
    input.push(stored.doc);
  try {
    return new Aggregator(pipeline, MINGO_OPTIONS).run(input) as Document[];
  } catch (err) {
    throw badValue((err as Error).message);
  }
}

function collectionName(body: Document, name: string): string {
  const coll = body[name] as unknown;
  if (typeof coll !== 'string') {
    throw new CommandError('InvalidNamespace', `collection name must be a string for ${name}`);
  }
  if (!coll || coll.includes('\0') || coll.startsWith('.') || coll.includes('$')) {
    throw new CommandError('InvalidNamespace', `Invalid collection name: '${coll}'`);
  }
  return coll;
}

function asInt(v: unknown, field: string, def: number): number {
  if (v === undefined || v === null) return def;
  const n = typeof v === 'number' ? v : v instanceof Long ? v.toNumber() : Number.NaN;
  if (!Number.isFinite(n)) throw new CommandError('TypeMismatch', `'${field}' must be a number`);
  return Math.trunc(n);
}

function asDoc(v: unknown, field: string): Document | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v))
    throw new CommandError('TypeMismatch', `'${field}' must be an object`);
  return v as Document;
}

function sortSpecOf(v: unknown): SortSpec {
  try {
    return parseSortSpec(v);
  } catch (err) {
    throw badValue((err as Error).message);
  }
}

function hintName(meta: CollectionMeta, hint: unknown): string | undefined {
  if (hint === undefined || hint === null) return undefined;
  if (typeof hint === 'string') {
    if (!meta.indexes.some((i) => i.name === hint))
      throw badValue(`hint provided does not correspond to an existing index`);
    return hint;
  }
  if (typeof hint === 'object') {
    const pattern = JSON.stringify(hint);
    const ix = meta.indexes.find((i) => JSON.stringify(keyPatternDoc(i.key)) === pattern);
    if (!ix) throw badValue('hint provided does not correspond to an existing index');
    return ix.name;
  }
  throw badValue('hint must be a string or an object');
}

interface MatchOptions {
  filter: Document;
  sort: SortSpec;
  skip: number;
  /** 0 = no limit. */
  limit: number;
  hint?: string;
}

/** Plans and streams matching documents in the requested order, applying skip and limit. */
function* matchDocs(
  state: ServerState,
  meta: CollectionMeta | undefined,
  opts: MatchOptions,
  plan?: Plan,
): Generator<StoredDoc> {
  validateFilter(opts.filter);
  if (!meta) return;
  const p = plan ?? choosePlan(meta, opts.filter, opts.sort, opts.hint);
  // Reading `.doc` parses the document, so an exact plan must not even pass it to a predicate.
  const test: DocPredicate | null = p.exact ? null : compileFilter(opts.filter);
  let skip = opts.skip;
  let left = opts.limit > 0 ? opts.limit : Number.POSITIVE_INFINITY;
  if (left <= 0) return;
  if (p.providesSort || opts.sort.length === 0) {
    for (const stored of executePlan(state.storage, meta, p)) {
      if (test && !test(stored.doc)) continue;
      if (skip > 0) {
        skip--;
        continue;
      }
      yield stored;
      if (--left <= 0) return;
    }
    return;
  }
  if (Number.isFinite(left)) {
    // Top-k: with a limit only skip + limit documents are kept, however many match.
    const k = skip + left;
    const cmp = makeDocComparator(opts.sort);
    const top: StoredDoc[] = [];
    for (const stored of executePlan(state.storage, meta, p)) {
      if (test && !test(stored.doc)) continue;
      if (top.length === k && cmp(stored.doc, top[k - 1].doc) >= 0) continue;
      let lo = 0;
      let hi = top.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cmp(top[mid].doc, stored.doc) <= 0) lo = mid + 1;
        else hi = mid;
      }
      top.splice(lo, 0, stored);
      if (top.length > k) top.pop();
    }
    for (let i = skip; i < top.length; i++) yield top[i];
    return;
  }
  const all: StoredDoc[] = [];
  for (const stored of executePlan(state.storage, meta, p)) if (!test || test(stored.doc)) all.push(stored);
  sortDocs(all, opts.sort);
  for (let i = skip; i < all.length; i++) yield all[i];
}

function* projected(
  source: Iterator<StoredDoc>,
  project: ((docs: Document[]) => Document[]) | null,
): Generator<ResultItem> {
  for (let r = source.next(); !r.done; r = source.next()) {
    if (!project) yield r.value.raw;
    else yield project([r.value.doc])[0];
  }
}

/** Sends the first batch; registers the cursor when more remain. */
function firstBatchReply(
  state: ServerState,
  ns: string,
  source: Iterator<ResultItem>,
  batchSize: number,
  singleBatch: boolean,
): ReplyParts {
  const cursor = state.cursors.create(ns, source);
  const docs = cursor.batch(batchSize);
  if (singleBatch || cursor.exhausted) {
    cursor.close();
    return cursorReply('firstBatch', docs, 0n, ns);
  }
  state.cursors.keep(cursor);
  return cursorReply('firstBatch', docs, cursor.id, ns);
}

function batchSizeOf(body: Document, field = 'batchSize', def = 101): number {
  const n = asInt(body[field], field, def);
  if (n < 0) throw badValue(`${field} must be non-negative`);
  return n;
}

// ---- handshake and server info -------------------------------------------------------------------------

export function helloReply(connectionId: number, legacy: boolean): Document {
  return {
    ...(legacy ? { ismaster: true } : { isWritablePrimary: true }),
    helloOk: true,
    maxBsonObjectSize: MAX_BSON_OBJECT_SIZE,
    maxMessageSizeBytes: MAX_MESSAGE_SIZE_BYTES,
    maxWriteBatchSize: MAX_WRITE_BATCH_SIZE,
    localTime: new Date(),
    logicalSessionTimeoutMinutes: 30,
    connectionId,
    minWireVersion: 0,
    maxWireVersion: MAX_WIRE_VERSION,
    readOnly: false,
    ok: 1,
  };
}

function buildInfo(): Document {
  return {
    version: SERVER_VERSION,
    gitVersion: 'docstore',
    versionArray: [7, 0, 0, 0],
    bits: 64,
    debug: false,
    maxBsonObjectSize: MAX_BSON_OBJECT_SIZE,
    storageEngines: ['lmdb'],
    javascriptEngine: 'none',
    modules: [],
    ok: 1,
  };
}

const PARAMETERS: Document = {
  featureCompatibilityVersion: { version: '7.0' },
  authenticationMechanisms: [],
  maxBsonObjectSize: MAX_BSON_OBJECT_SIZE,
};

// ---- handlers --------------------------------------------------------------------------------------------

const handlers: Record<string, Handler> = {
  hello: (_s, i) => helloReply(i.connectionId, false),
  ismaster: (_s, i) => helloReply(i.connectionId, true),
  ping: () => ({ ok: 1 }),
  buildinfo: () => buildInfo(),
  getparameter: (_s, { body }) => {
    const out: Document = {};
    const all =
      body.getParameter === '*' || (body.getParameter as Document | undefined)?.allParameters === true;
    for (const [k, v] of Object.entries(PARAMETERS)) if (all || k in body) out[k] = v;
    for (const k of Object.keys(body).slice(1)) {
      if (!GENERIC_FIELDS.has(k) && !(k in PARAMETERS))
        throw new CommandError('InvalidOptions', `no option found to get: ${k}`);
    }
    return { ...out, ok: 1 };
  },
  connectionstatus: () => ({ authInfo: { authenticatedUsers: [], authenticatedUserRoles: [] }, ok: 1 }),
  endsessions: () => ({ ok: 1 }),
  killsessions: () => ({ ok: 1 }),
  refreshsessions: () => ({ ok: 1 }),
  whatsmyuri: () => ({ you: '127.0.0.1', ok: 1 }),
  getlog: () => ({ totalLinesWritten: 0, log: [], ok: 1 }),
  hostinfo: () => ({
    system: {
      hostname: os.hostname(),
      numCores: os.cpus().length,
      memSizeMB: Math.round(os.totalmem() / 1048576),
    },
    os: { type: os.type(), name: os.platform() },
    ok: 1,
  }),
  serverstatus: (s) => ({
    host: os.hostname(),
    version: SERVER_VERSION,
    process: 'docstore',
    pid: process.pid,
    uptime: Math.floor((Date.now() - s.startedAt) / 1000),
    uptimeMillis: Date.now() - s.startedAt,
    localTime: new Date(),
    connections: {
      current: s.connections.current,
      totalCreated: s.connections.totalCreated,
      available: 1000,
    },
    opcounters: { ...s.opcounters },
    mem: { resident: Math.round(process.memoryUsage().rss / 1048576), bits: 64 },
    storageEngine: { name: 'lmdb', supportsCommittedReads: true, persistent: true },
    ok: 1,
  }),
  committransaction: () => {
    throw new CommandError(
      'IllegalOperation',
      'Transaction numbers are only allowed on a replica set member or mongos',
    );
  },
  aborttransaction: () => {
    throw new CommandError(
      'IllegalOperation',
      'Transaction numbers are only allowed on a replica set member or mongos',
    );
  },

  listdatabases: (s, { body }) => {
    const names = s.storage.databases();
    const databases = names.map((name) => {
      let size = 0;
      for (const c of s.storage.collections(name)) size += s.storage.stats(c).size;
      return body.nameOnly ? { name } : { name, sizeOnDisk: size, empty: size === 0 };
    });
    const filter = asDoc(body.filter, 'filter');
    const test = compileFilter(filter);
    const shown = databases.filter((d) => test(d));
    const totalSize = shown.reduce((a, d) => a + ((d as { sizeOnDisk?: number }).sizeOnDisk ?? 0), 0);
    return { databases: shown, totalSize, totalSizeMb: Math.round(totalSize / 1048576), ok: 1 };
  },

  listcollections: (s, { body, db }) => {
    const filter = asDoc(body.filter, 'filter');
    const test = compileFilter(filter);
    const infos = s.storage
      .collections(db)
      .map((c) =>
        isView(c)
          ? { name: c.name, type: 'view', options: c.options, info: { readOnly: true } }
          : {
              name: c.name,
              type: 'collection',
              options: c.options,
              info: { readOnly: false },
              idIndex: { v: 2, key: { _id: 1 }, name: '_id_' },
            },
      )
      .filter((c) => test(c))
      .map((c) => (body.nameOnly ? { name: c.name, type: c.type } : c));
    const cursorOpts = asDoc(body.cursor, 'cursor') ?? {};
    return firstBatchReply(
      s,
      `${db}.$cmd.listCollections`,
      infos[Symbol.iterator](),
      batchSizeOf(cursorOpts, 'batchSize', 0),
      false,
    );
  },

  create: async (s, { body, db }) => {
    const name = collectionName(body, 'create');
    rejectUnknownOptions(body, [
      'create',
      'validator',
      'validationLevel',
      'validationAction',
      'storageEngine',
      'indexOptionDefaults',
      'writeConcern',
      'viewOn',
      'pipeline',
    ]);
    if (body.validator && Object.keys(body.validator as Document).length > 0)
      throw notImplemented('collection validators');
    let options: Document = {};
    if (body.viewOn !== undefined || body.pipeline !== undefined) {
      if (typeof body.viewOn !== 'string' || !body.viewOn)
        throw badValue("'viewOn' must be a collection name");
      const pipeline = body.pipeline ?? [];
      if (!Array.isArray(pipeline)) throw new CommandError('TypeMismatch', "'pipeline' must be an array");
      new Aggregator(pipeline as Document[], MINGO_OPTIONS); // rejects unknown stages now, not on first read
      options = { viewOn: body.viewOn, pipeline };
    }
    await s.storage.write(() => {
      if (s.storage.collection(db, name)) {
        throw new CommandError('NamespaceExists', `Collection ${db}.${name} already exists.`);
      }
      s.storage.ensureCollection(db, name, options);
    });
    return { ok: 1 };
  },

  drop: async (s, { body, db }) => {
    const name = collectionName(body, 'drop');
    const dropped = await s.storage.write(() => {
      const meta = s.storage.collection(db, name);
      if (!meta) return false;
      s.storage.dropCollection(meta);
      return true;
    });
    // MongoDB 7.0, the version reported, answers ok for a missing collection (SERVER-43894).
    if (!dropped) return { ok: 1 };
    return { ns: `${db}.${name}`, nIndexesWas: 1, ok: 1 };
  },

  dropdatabase: async (s, { db }) => {
    await s.storage.write(() => {
      for (const meta of s.storage.collections(db)) s.storage.dropCollection(meta);
    });
    return { dropped: db, ok: 1 };
  },

  renamecollection: async (s, { body, db }) => {
    if (db !== 'admin')
      throw new CommandError('Unauthorized', 'renameCollection may only be run against the admin database.');
    const from = String(body.renameCollection ?? '');
    const to = String(body.to ?? '');
    const split = (ns: string): [string, string] => {
      const dot = ns.indexOf('.');
      if (dot <= 0 || dot === ns.length - 1)
        throw new CommandError('InvalidNamespace', `Invalid namespace specified '${ns}'`);
      return [ns.slice(0, dot), ns.slice(dot + 1)];
    };
    const [fromDb, fromName] = split(from);
    const [toDb, toName] = split(to);
    if (fromDb === toDb && fromName === toName) {
      throw new CommandError('IllegalOperation', "Can't rename a collection to itself");
    }
    checkDbName(toDb);
    await s.storage.write(() => {
      const meta = s.storage.collection(fromDb, fromName);
      if (!meta) throw new CommandError('NamespaceNotFound', 'Source collection does not exist');
      const target = s.storage.collection(toDb, toName);
      if (target) {
        if (!body.dropTarget) throw new CommandError('NamespaceExists', 'target namespace exists');
        s.storage.dropCollection(target);
      }
      s.storage.renameCollection(meta, toDb, toName);
    });
    return { ok: 1 };
  },

  insert: async (s, input) => {
    const { body, db } = input;
    const name = collectionName(body, 'insert');
    rejectView(s, db, name);
    rejectUnknownOptions(body, ['ordered', 'documents']);
    const docs: RawDocument[] = input.sequences.get('documents') ?? bodyDocuments(input);
    if (docs.length === 0)
      throw badValue('Write batch sizes must be between 1 and 100000. Got 0 operations.');
    const ordered = body.ordered !== false;
    const prepared: Array<{ doc: Document; raw: Buffer } | CommandError> = docs.map(({ doc, raw }) => {
      if (raw.length > MAX_BSON_OBJECT_SIZE)
        return new CommandError('BSONObjectTooLarge', 'object to insert too large');
      if (Array.isArray(doc._id) || doc._id instanceof RegExp) {
        return new CommandError('BadValue' as const, `can't use an array for _id`);
      }
      if (Object.keys(doc)[0] === '_id') return { doc, raw };
      return withIdPrepended(doc, raw);
    });
    s.opcounters.insert += docs.length;
    const result = await s.storage.write(() => {
      const meta = s.storage.ensureCollection(db, name);
      const writeErrors: Document[] = [];
      let n = 0;
      for (let i = 0; i < prepared.length; i++) {
        const p = prepared[i];
        try {
          if (p instanceof CommandError) throw p;
          s.storage.insertDoc(meta, p.doc, p.raw);
          n++;
        } catch (err) {
          writeErrors.push(writeError(i, err));
          if (ordered) break;
        }
      }
      return { n, writeErrors };
    });
    return { n: result.n, ...(result.writeErrors.length ? { writeErrors: result.writeErrors } : {}), ok: 1 };
  },

  update: async (s, input) => {
    const { body, db } = input;
    const name = collectionName(body, 'update');
    rejectView(s, db, name);
    rejectUnknownOptions(body, ['ordered', 'updates']);
    const statements =
      input.sequences.get('updates')?.map((d) => d.doc) ?? (body.updates as Document[] | undefined) ?? [];
    if (statements.length === 0)
      throw badValue('Write batch sizes must be between 1 and 100000. Got 0 operations.');
    const ordered = body.ordered !== false;
    s.opcounters.update += statements.length;
    const result = await s.storage.write(() => {
      let n = 0;
      let nModified = 0;
      const upserted: Document[] = [];
      const writeErrors: Document[] = [];
      for (let i = 0; i < statements.length; i++) {
        try {
          const r = runUpdateStatement(s, db, name, statements[i]);
          n += r.n;
          nModified += r.nModified;
          if (r.upsertedId !== undefined) upserted.push({ index: i, _id: r.upsertedId });
        } catch (err) {
          writeErrors.push(writeError(i, err));
          if (ordered) break;
        }
      }
      return { n, nModified, upserted, writeErrors };
    });
    return {
      n: result.n,
      nModified: result.nModified,
      ...(result.upserted.length ? { upserted: result.upserted } : {}),
      ...(result.writeErrors.length ? { writeErrors: result.writeErrors } : {}),
      ok: 1,
    };
  },

  delete: async (s, input) => {
    const { body, db } = input;
    const name = collectionName(body, 'delete');
    rejectView(s, db, name);
    rejectUnknownOptions(body, ['ordered', 'deletes']);
    const statements =
      input.sequences.get('deletes')?.map((d) => d.doc) ?? (body.deletes as Document[] | undefined) ?? [];
    if (statements.length === 0)
      throw badValue('Write batch sizes must be between 1 and 100000. Got 0 operations.');
    const ordered = body.ordered !== false;
    s.opcounters.delete += statements.length;
    const result = await s.storage.write(() => {
      let n = 0;
      const writeErrors: Document[] = [];
      for (let i = 0; i < statements.length; i++) {
        try {
          const st = statements[i];
          rejectUnknownOptions({ delete: 1, ...st }, ['q', 'limit', 'hint', 'collation']);
          const limit = asInt(st.limit, 'limit', 0);
          if (limit !== 0 && limit !== 1) throw badValue('limit must be 0 or 1');
          const meta = s.storage.collection(db, name);
          const filter = asDoc(st.q, 'q') ?? {};
          const victims = [
            ...matchDocs(s, meta, {
              filter,
              sort: [],
              skip: 0,
              limit,
              hint: meta ? hintName(meta, st.hint) : undefined,
            }),
          ];
          for (const v of victims) s.storage.removeDoc(meta!, v);
          n += victims.length;
        } catch (err) {
          writeErrors.push(writeError(i, err));
          if (ordered) break;
        }
      }
      return { n, writeErrors };
    });
    return { n: result.n, ...(result.writeErrors.length ? { writeErrors: result.writeErrors } : {}), ok: 1 };
  },

  find: (s, { body, db }) => {
    const name = collectionName(body, 'find');
    rejectUnknownOptions(body, [
      'filter',
      'sort',
      'projection',
      'skip',
      'limit',
      'batchSize',
      'singleBatch',
      'hint',
      'collation',
      'noCursorTimeout',
      'allowPartialResults',
      'allowDiskUse',
      'readConcern',
    ]);
    s.opcounters.query++;
    const meta = s.storage.collection(db, name);
    const filter = asDoc(body.filter, 'filter') ?? {};
    const sort = sortSpecOf(body.sort);
    const limitRaw = asInt(body.limit, 'limit', 0);
    if (limitRaw < 0) throw badValue('limit must be non-negative');
    const skip = asInt(body.skip, 'skip', 0);
    if (skip < 0) throw badValue('skip must be non-negative');
    const project = compileProjection(body.projection);
    const batchSize = batchSizeOf(body);
    if (meta && isView(meta)) {
      const projection = asDoc(body.projection, 'projection');
      const docs = viewDocuments(s, db, meta, [
        { $match: filter },
        ...(sort.length ? [{ $sort: body.sort as Document }] : []),
        ...(skip ? [{ $skip: skip }] : []),
        ...(limitRaw ? [{ $limit: limitRaw }] : []),
        ...(projection && Object.keys(projection).length ? [{ $project: projection }] : []),
      ]);
      return firstBatchReply(
        s,
        `${db}.${name}`,
        docs[Symbol.iterator](),
        limitRaw > 0 && limitRaw < batchSize ? limitRaw : batchSize,
        body.singleBatch === true,
      );
    }
    const source = projected(
      matchDocs(s, meta, {
        filter,
        sort,
        skip,
        limit: limitRaw,
        hint: meta ? hintName(meta, body.hint) : undefined,
      }),
      project,
    );
    return firstBatchReply(
      s,
      `${db}.${name}`,
      source,
      limitRaw > 0 && limitRaw < batchSize ? limitRaw : batchSize,
      body.singleBatch === true,
    );
  },

  getmore: (s, { body, db }) => {
    s.opcounters.getmore++;
    const id = toBigInt(body.getMore);
    const coll = String(body.collection ?? '');
    const cursor = s.cursors.get(id);
    if (!cursor || (cursor.ns !== `${db}.${coll}` && !cursor.ns.startsWith(`${db}.$cmd`))) {
      throw new CommandError('CursorNotFound', `cursor id ${id} not found`);
    }
    const docs = cursor.batch(batchSizeOf(body, 'batchSize', 0));
    if (cursor.exhausted) {
      s.cursors.kill(id);
      return cursorReply('nextBatch', docs, 0n, cursor.ns);
    }
    return cursorReply('nextBatch', docs, id, cursor.ns);
  },

  killcursors: (s, { body }) => {
    const ids = (body.cursors as unknown[] | undefined) ?? [];
    const killed: Long[] = [];
    const notFound: Long[] = [];
    for (const raw of ids) {
      const id = toBigInt(raw);
      (s.cursors.kill(id) ? killed : notFound).push(Long.fromBigInt(id));
    }
    return { cursorsKilled: killed, cursorsNotFound: notFound, cursorsAlive: [], cursorsUnknown: [], ok: 1 };
  },

  count: (s, { body, db }) => {
    const name = collectionName(body, 'count');
    rejectUnknownOptions(body, ['query', 'limit', 'skip', 'hint', 'collation', 'fields']);
    const meta = s.storage.collection(db, name);
    const filter = asDoc(body.query, 'query') ?? {};
    const limit = Math.abs(asInt(body.limit, 'limit', 0));
    const skip = asInt(body.skip, 'skip', 0);
    if (meta && isView(meta)) {
      const docs = viewDocuments(s, db, meta, [
        { $match: filter },
        ...(skip > 0 ? [{ $skip: skip }] : []),
        ...(limit > 0 ? [{ $limit: limit }] : []),
      ]);
      return { n: docs.length, ok: 1 };
    }
    let n = 0;
    for (const _ of matchDocs(s, meta, {
      filter,
      sort: [],
      skip,
      limit,
      hint: meta ? hintName(meta, body.hint) : undefined,
    }))
      n++;
    return { n, ok: 1 };
  },

  distinct: (s, { body, db }) => {
    const name = collectionName(body, 'distinct');
    rejectUnknownOptions(body, ['key', 'query', 'collation', 'hint']);
    if (typeof body.key !== 'string') throw new CommandError('TypeMismatch', "'key' must be a string");
    const meta = s.storage.collection(db, name);
    if (isView(meta)) throw notImplemented('distinct on a view');
    const filter = asDoc(body.query, 'query') ?? {};
    const seen = new Set<string>();
    const values: unknown[] = [];
    for (const stored of matchDocs(s, meta, { filter, sort: [], skip: 0, limit: 0 })) {
      for (const v of valuesAtPath(stored.doc, body.key)) {
        for (const item of Array.isArray(v) ? (v as unknown[]) : [v]) {
          const k = encodeValue(item).toString('latin1');
          if (seen.has(k)) continue;
          seen.add(k);
          values.push(item);
        }
      }
    }
    values.sort(compareBson);
    return { values, ok: 1 };
  },

  findandmodify: async (s, { body, db }) => {
    const name = collectionName(body, 'findAndModify');
    rejectView(s, db, name);
    rejectUnknownOptions(body, [
      'query',
      'sort',
      'remove',
      'update',
      'new',
      'fields',
      'upsert',
      'arrayFilters',
      'hint',
      'collation',
    ]);
    const filter = asDoc(body.query, 'query') ?? {};
    const sort = sortSpecOf(body.sort);
    const project = compileProjection(body.fields);
    const remove = body.remove === true;
    if (remove && body.update !== undefined) throw badValue('Cannot specify both an update and remove=true');
    if (!remove && body.update === undefined)
      throw badValue('Either an update or remove=true must be specified');
    if (remove && body.upsert) throw badValue('Cannot specify both upsert=true and remove=true');
    if (!remove) updateKind(body.update);
    s.opcounters.command++;
    const outcome = await s.storage.write(() => {
      const meta = s.storage.collection(db, name);
      const [found] = [
        ...matchDocs(s, meta, {
          filter,
          sort,
          skip: 0,
          limit: 1,
          hint: meta ? hintName(meta, body.hint) : undefined,
        }),
      ];
      if (remove) {
        if (!found) return { value: null, lastErrorObject: { n: 0 } };
        s.storage.removeDoc(meta!, found);
        return { value: found.doc, lastErrorObject: { n: 1 } };
      }
      const u = body.update as Document | Document[];
      const arrayFilters = body.arrayFilters as Document[] | undefined;
      if (found) {
        const fresh = BSON.deserialize(found.raw);
        const touched = new Set<string>();
        const updated = applyUpdate(fresh, u, {
          arrayFilters,
          filter,
          typedOriginal: typedView(found.raw),
          touched,
        });
        if (updated) writeUpdated(s, meta!, found, updated, touched);
        return {
          value: body.new ? (updated ?? found.doc) : found.doc,
          lastErrorObject: { n: 1, updatedExisting: true },
        };
      }
      if (!body.upsert) return { value: null, lastErrorObject: { n: 0, updatedExisting: false } };
      const inserted = upsertDocument(s, db, name, filter, u, arrayFilters);
      return {
        value: body.new ? inserted : null,
        lastErrorObject: { n: 1, updatedExisting: false, upserted: inserted._id },
      };
    });
    const value = outcome.value && project ? project([outcome.value])[0] : outcome.value;
    return { lastErrorObject: outcome.lastErrorObject, value, ok: 1 };
  },

  configurefailpoint: (s, { body, db }) => {
    if (!s.failPoints?.enabled) {
      throw new CommandError('CommandNotFound', "no such command: 'configureFailPoint'");
    }
    if (db !== 'admin')
      throw new CommandError(
        'Unauthorized',
        'configureFailPoint may only be run against the admin database.',
      );
    return s.failPoints.configure(body);
  },

  aggregate: async (s, { body, db }) => {
    rejectUnknownOptions(body, ['pipeline', 'cursor', 'explain', 'allowDiskUse', 'hint', 'collation']);
    if (typeof body.aggregate !== 'string') throw notImplemented('database-level aggregate');
    const name = collectionName(body, 'aggregate');
    const requested = body.pipeline;
    if (!Array.isArray(requested)) throw new CommandError('TypeMismatch', "'pipeline' must be an array");
    const cursorOpts = asDoc(body.cursor, 'cursor');
    if (!cursorOpts && !body.explain)
      throw new CommandError('FailedToParse', "The 'cursor' option is required");
    // $out is only valid as the last stage; it is applied below, after the rest of the pipeline ran.
    const last = requested[requested.length - 1] as Document | undefined;
    const outTarget = last && typeof last === 'object' && '$out' in last ? outNamespace(last.$out, db) : null;
    const pipeline = outTarget ? requested.slice(0, -1) : requested;
    for (const stage of pipeline as Document[]) {
      const op = stage && typeof stage === 'object' ? Object.keys(stage)[0] : undefined;
      if (!op || !op.startsWith('$')) throw badValue('each pipeline stage must be an object with one $stage');
      if (UNSUPPORTED_STAGES.has(op)) throw notImplemented(`aggregation stage ${op}`);
    }
    s.opcounters.command++;
    const meta = s.storage.collection(db, name);
    if (meta && isView(meta)) {
      if (body.explain) throw notImplemented('explain of an aggregation on a view');
      let items: Iterator<ResultItem> = viewDocuments(s, db, meta, pipeline as Document[])[Symbol.iterator]();
      if (outTarget) {
        await replaceCollectionContents(s, outTarget.db, outTarget.coll, items);
        items = [][Symbol.iterator]();
      }
      return firstBatchReply(
        s,
        `${db}.${name}`,
        items,
        batchSizeOf(cursorOpts ?? {}, 'batchSize', 101),
        false,
      );
    }
    const stages = [...(pipeline as Document[])];
    // Push a leading $match (and a following $sort/$limit) down to the planner so indexes are used.
    let filter: Document = {};
    let sort: SortSpec = [];
    let limit = 0;
    if (stages[0]?.$match) filter = stages.shift()!.$match as Document;
    if (stages[0]?.$sort) {
      sort = sortSpecOf(stages.shift()!.$sort);
      if (stages[0]?.$limit !== undefined) limit = asInt(stages.shift()!.$limit, '$limit', 0);
    }
    const plan = meta ? choosePlan(meta, filter, sort, hintName(meta, body.hint)) : undefined;
    if (body.explain) {
      return {
        queryPlanner: {
          namespace: `${db}.${name}`,
          winningPlan: plan ? explainPlan(plan) : { stage: 'EOF' },
        },
        ok: 1,
      };
    }
    const source = matchDocs(s, meta, { filter, sort, skip: 0, limit }, plan);
    let items: Iterator<ResultItem>;
    if (stages.length === 0) {
      items = projected(source, null);
    } else {
      const input: Document[] = [];
      for (const stored of source) input.push(stored.doc);
      const agg = new Aggregator(stages, {
        ...MINGO_OPTIONS,
        collectionResolver: (collName: string) => {
          const other = s.storage.collection(db, collName);
          return [...matchDocs(s, other, { filter: {}, sort: [], skip: 0, limit: 0 })].map((d) => d.doc);
        },
      });
      let out: Document[];
      try {
        out = agg.run(input) as Document[];
      } catch (err) {
        throw badValue((err as Error).message);
      }
      items = out[Symbol.iterator]();
    }
    if (outTarget) {
      await replaceCollectionContents(s, outTarget.db, outTarget.coll, items);
      items = [][Symbol.iterator]();
    }
    return firstBatchReply(s, `${db}.${name}`, items, batchSizeOf(cursorOpts ?? {}, 'batchSize', 101), false);
  },

  createindexes: async (s, { body, db }) => {
    const name = collectionName(body, 'createIndexes');
    rejectView(s, db, name);
    rejectUnknownOptions(body, ['indexes', 'commitQuorum']);
    const specs = body.indexes;
    if (!Array.isArray(specs) || specs.length === 0) throw badValue("'indexes' must be a non-empty array");
    const parsed = (specs as Document[]).map(parseIndexSpec);
    return s.storage.write(() => {
      const existed = !!s.storage.collection(db, name);
      const meta = s.storage.ensureCollection(db, name);
      const before = meta.indexes.length;
      for (const spec of parsed) {
        const sameName = meta.indexes.find((i) => i.name === spec.name);
        const samePattern = meta.indexes.find((i) => JSON.stringify(i.key) === JSON.stringify(spec.key));
        if (sameName) {
          if (JSON.stringify(sameName.key) !== JSON.stringify(spec.key)) {
            throw new CommandError(
              'IndexKeySpecsConflict',
              `An existing index has the same name as the requested index: ${spec.name}`,
            );
          }
          if (!sameIndexOptions(sameName, spec)) {
            throw new CommandError(
              'IndexOptionsConflict',
              `An equivalent index already exists with different options: ${spec.name}`,
            );
          }
          continue;
        }
        if (samePattern && sameIndexOptions(samePattern, spec)) {
          throw new CommandError(
            'IndexOptionsConflict',
            `Index already exists with a different name: ${samePattern.name}`,
          );
        }
        s.storage.addIndex(meta, spec);
      }
      return {
        createdCollectionAutomatically: !existed,
        numIndexesBefore: before,
        numIndexesAfter: meta.indexes.length,
        ...(before === meta.indexes.length ? { note: 'all indexes already exist' } : {}),
        ok: 1,
      };
    });
  },

  listindexes: (s, { body, db }) => {
    const name = collectionName(body, 'listIndexes');
    const meta = s.storage.collection(db, name);
    if (!meta) throw new CommandError('NamespaceNotFound', `ns does not exist: ${db}.${name}`);
    const cursorOpts = asDoc(body.cursor, 'cursor') ?? {};
    return firstBatchReply(
      s,
      `${db}.${name}`,
      meta.indexes.map(indexDescription)[Symbol.iterator](),
      batchSizeOf(cursorOpts, 'batchSize', 0),
      false,
    );
  },

  dropindexes: async (s, { body, db }) => {
    const name = collectionName(body, 'dropIndexes');
    return s.storage.write(() => {
      const meta = s.storage.collection(db, name);
      if (!meta) throw new CommandError('NamespaceNotFound', `ns not found ${db}.${name}`);
      const before = meta.indexes.length;
      const which = body.index;
      let victims: IndexSpec[];
      if (which === '*') victims = meta.indexes.filter((i) => i.id !== 0);
      else if (typeof which === 'string' || Array.isArray(which)) {
        const names = Array.isArray(which) ? (which as string[]) : [which];
        victims = names.map((n) => {
          const ix = meta.indexes.find((i) => i.name === n);
          if (!ix) throw new CommandError('IndexNotFound', `index not found with name [${n}]`);
          return ix;
        });
      } else if (which && typeof which === 'object') {
        const pattern = JSON.stringify(which);
        const ix = meta.indexes.find((i) => JSON.stringify(keyPatternDoc(i.key)) === pattern);
        if (!ix) throw new CommandError('IndexNotFound', `can't find index with key: ${pattern}`);
        victims = [ix];
      } else throw badValue("'index' must be a name, an array of names, a key pattern or '*'");
      if (victims.some((v) => v.id === 0)) throw new CommandError('InvalidOptions', 'cannot drop _id index');
      for (const ix of victims) s.storage.dropIndexEntries(ix);
      meta.indexes = meta.indexes.filter((i) => !victims.includes(i));
      s.storage.saveMeta(meta);
      return { nIndexesWas: before, ok: 1 };
    });
  },

  collstats: (s, { body, db }) => {
    const name = collectionName(body, 'collStats');
    const meta = s.storage.collection(db, name);
    if (!meta) throw new CommandError('NamespaceNotFound', `Collection [${db}.${name}] not found.`);
    return { ns: `${db}.${name}`, ...collectionSizes(s, meta), ok: 1 };
  },

  dbstats: (s, { db }) => {
    let objects = 0;
    let dataSize = 0;
    let indexSize = 0;
    let indexes = 0;
    const colls = s.storage.collections(db);
    for (const meta of colls) {
      const c = collectionSizes(s, meta);
      objects += c.count;
      dataSize += c.size;
      indexSize += c.totalIndexSize;
      indexes += c.nindexes;
    }
    return {
      db,
      collections: colls.length,
      views: 0,
      objects,
      avgObjSize: objects ? dataSize / objects : 0,
      dataSize,
      storageSize: dataSize,
      indexes,
      indexSize,
      totalSize: dataSize + indexSize,
      scaleFactor: 1,
      ok: 1,
    };
  },

  explain: (s, input) => {
    const inner = asDoc(input.body.explain, 'explain');
    if (!inner) throw badValue("'explain' must be a command document");
    const innerName = Object.keys(inner)[0]?.toLowerCase();
    const meta = s.storage.collection(input.db, String(inner[Object.keys(inner)[0]]));
    let filter: Document = {};
    let sort: SortSpec = [];
    let hint: unknown;
    switch (innerName) {
      case 'find':
        filter = asDoc(inner.filter, 'filter') ?? {};
        sort = sortSpecOf(inner.sort);
        hint = inner.hint;
        break;
      case 'count':
      case 'distinct':
        filter = asDoc(inner.query, 'query') ?? {};
        break;
      case 'findandmodify':
        filter = asDoc(inner.query, 'query') ?? {};
        sort = sortSpecOf(inner.sort);
        break;
      case 'aggregate':
        return handlers.aggregate(s, { ...input, name: 'aggregate', body: { ...inner, explain: true } });
      case 'update':
      case 'delete': {
        const key = innerName === 'update' ? 'updates' : 'deletes';
        const first = (inner[key] as Document[] | undefined)?.[0];
        filter = asDoc(first?.q, 'q') ?? {};
        break;
      }
      default:
        throw notImplemented(`explain of ${innerName}`);
    }
    const plan = meta ? choosePlan(meta, filter, sort, hintName(meta, hint)) : undefined;
    return {
      queryPlanner: {
        namespace: `${input.db}.${meta?.name ?? ''}`,
        parsedQuery: filter,
        winningPlan: plan ? explainPlan(plan) : { stage: 'EOF' },
        rejectedPlans: [],
      },
      serverInfo: { host: os.hostname(), version: SERVER_VERSION },
      ok: 1,
    };
  },
};

const UNSUPPORTED_STAGES = new Set([
  '$out',
  '$merge',
  '$changeStream',
  '$collStats',
  '$indexStats',
  '$currentOp',
  '$listSessions',
  '$listLocalSessions',
  '$planCacheStats',
  '$geoNear',
  '$search',
  '$unionWith',
  '$graphLookup',
]);

function collectionSizes(s: ServerState, meta: CollectionMeta) {
  const { count, size } = s.storage.stats(meta);
  const indexSizes: Document = {};
  let totalIndexSize = 0;
  for (const ix of meta.indexes) {
    // Index entries are keys of roughly 32 bytes on average plus LMDB overhead; `_id_` lives with the data.
    const bytes = ix.id === 0 ? count * 24 : s.storage.indexEntryCount(ix) * 48;
    indexSizes[ix.name] = bytes;
    totalIndexSize += bytes;
  }
  return {
    count,
    size,
    avgObjSize: count ? Math.round(size / count) : 0,
    storageSize: size,
    totalIndexSize,
    totalSize: size + totalIndexSize,
    indexSizes,
    nindexes: meta.indexes.length,
    capped: false,
    scaleFactor: 1,
  };
}

function indexDescription(ix: IndexSpec): Document {
  return {
    v: 2,
    key: keyPatternDoc(ix.key),
    name: ix.name,
    ...(ix.unique && ix.id !== 0 ? { unique: true } : {}),
    ...(ix.sparse ? { sparse: true } : {}),
    ...(ix.partialFilterExpression ? { partialFilterExpression: ix.partialFilterExpression } : {}),
    ...(ix.expireAfterSeconds !== undefined ? { expireAfterSeconds: ix.expireAfterSeconds } : {}),
  };
}

function sameIndexOptions(
  a: Pick<IndexSpec, 'unique' | 'sparse' | 'expireAfterSeconds' | 'partialFilterExpression'>,
  b: typeof a,
): boolean {
  return (
    a.unique === b.unique &&
    a.sparse === b.sparse &&
    a.expireAfterSeconds === b.expireAfterSeconds &&
    JSON.stringify(a.partialFilterExpression ?? null) === JSON.stringify(b.partialFilterExpression ?? null)
  );
}

const INDEX_OPTIONS = new Set([
  'key',
  'name',
  'unique',
  'sparse',
  'partialFilterExpression',
  'expireAfterSeconds',
  'background',
  'v',
  'ns',
]);

function parseIndexSpec(spec: Document): Omit<IndexSpec, 'id' | 'multikey'> {
  if (!spec || typeof spec !== 'object') throw badValue('index spec must be an object');
  const keyDoc = asDoc(spec.key, 'key');
  if (!keyDoc || Object.keys(keyDoc).length === 0)
    throw new CommandError('BadValue', 'index key pattern must be a non-empty object');
  for (const opt of Object.keys(spec)) {
    if (!INDEX_OPTIONS.has(opt)) throw notImplemented(`index option '${opt}'`);
  }
  const key: Array<[string, 1 | -1]> = Object.entries(keyDoc).map(([field, dir]) => {
    if (typeof dir === 'string') throw notImplemented(`'${dir}' indexes`);
    const n = typeof dir === 'number' ? dir : dir instanceof Long ? dir.toNumber() : Number.NaN;
    if (!Number.isFinite(n) || n === 0)
      throw new CommandError('BadValue', `bad index key pattern for ${field}`);
    return [field, n > 0 ? 1 : -1];
  });
  const name = typeof spec.name === 'string' ? spec.name : key.map(([f, d]) => `${f}_${d}`).join('_');
  if (name === '_id_' || (key.length === 1 && key[0][0] === '_id' && key[0][1] === 1)) {
    return { name: '_id_', key, unique: true, sparse: false };
  }
  let expireAfterSeconds: number | undefined;
  if (spec.expireAfterSeconds !== undefined) {
    expireAfterSeconds = asInt(spec.expireAfterSeconds, 'expireAfterSeconds', 0);
    if (expireAfterSeconds < 0)
      throw new CommandError('InvalidOptions', 'expireAfterSeconds must be non-negative');
    if (key.length !== 1) throw new CommandError('InvalidOptions', 'TTL indexes are single-field indexes');
  }
  const partial = spec.partialFilterExpression;
  if (partial !== undefined) asDoc(partial, 'partialFilterExpression');
  return {
    name,
    key,
    unique: spec.unique === true,
    sparse: spec.sparse === true,
    ...(partial !== undefined ? { partialFilterExpression: partial as Document } : {}),
    ...(expireAfterSeconds !== undefined ? { expireAfterSeconds } : {}),
  };
}

/** Inserted documents sent inside the command body, re-read so their number types survive. */
function bodyDocuments(input: CommandInput): RawDocument[] {
  const promoted = (input.body.documents as Document[] | undefined) ?? [];
  if (!Array.isArray(promoted)) throw new CommandError('TypeMismatch', "'documents' must be an array");
  const sliced = input.bodyRaw ? sliceDocuments(input.bodyRaw, promoted.length) : null;
  if (sliced) return promoted.map((doc, i) => ({ doc, raw: sliced[i] }));
  const typed = input.bodyRaw
    ? ((typedView(input.bodyRaw).documents as Document[] | undefined) ?? promoted)
    : promoted;
  return promoted.map((doc, i) => ({ doc, raw: Buffer.from(BSON.serialize(typed[i] ?? doc)) }));
}

const BSON_ARRAY = 4;
const BSON_OBJECT = 3;

/** The exact bytes of each element of the body's `documents` array (GridFS sends its chunks this way). */
function sliceDocuments(bodyRaw: Buffer, expected: number): Buffer[] | null {
  try {
    for (const [type, nameOffset, nameLength, offset, length] of BSON.onDemand.parseToElements(bodyRaw, 0)) {
      if (
        type !== BSON_ARRAY ||
        bodyRaw.toString('utf8', nameOffset, nameOffset + nameLength) !== 'documents'
      ) {
        continue;
      }
      const items = [...BSON.onDemand.parseToElements(bodyRaw.subarray(offset, offset + length), 0)];
      if (items.length !== expected || items.some(([t]) => t !== BSON_OBJECT)) return null;
      return items.map(([, , , o, l]) => bodyRaw.subarray(offset + o, offset + o + l));
    }
  } catch {
    return null;
  }
  return null;
}

/**
 * MongoDB stores `_id` first. A missing `_id` gets an ObjectId element spliced in front of the client's
 * bytes (so nothing else is re-encoded); an `_id` elsewhere is moved by re-serializing the typed document.
 */
function withIdPrepended(doc: Document, raw: Buffer): { doc: Document; raw: Buffer } {
  if (doc._id === undefined) {
    const id = new ObjectId();
    const element = Buffer.concat([Buffer.from([0x07]), Buffer.from('_id\0', 'latin1'), id.id]);
    const out = Buffer.allocUnsafe(raw.length + element.length);
    out.writeInt32LE(raw.length + element.length, 0);
    element.copy(out, 4);
    raw.copy(out, 4 + element.length, 4);
    return { doc: { _id: id, ...doc }, raw: out };
  }
  const typed = withIdFirst(typedView(raw));
  return { doc: withIdFirst(doc), raw: Buffer.from(BSON.serialize(typed)) };
}

function writeError(index: number, err: unknown): Document {
  if (err instanceof CommandError) {
    return { index, code: err.code, codeName: err.codeName, errmsg: err.message, ...err.extra };
  }
  return { index, code: 2, codeName: 'BadValue', errmsg: err instanceof Error ? err.message : String(err) };
}

function serializeChecked(doc: Document): Buffer {
  const raw = Buffer.from(BSON.serialize(doc));
  if (raw.length > MAX_BSON_OBJECT_SIZE)
    throw new CommandError('BSONObjectTooLarge', 'document is too large after update');
  return raw;
}

/** `touched`: the top-level fields a direct update changed; empty when mingo applied it (fields unknown). */
function writeUpdated(
  s: ServerState,
  meta: CollectionMeta,
  old: StoredDoc,
  updated: Document,
  touched: ReadonlySet<string>,
): void {
  s.storage.replaceDoc(meta, old, updated, serializeChecked(updated), touched.size > 0 ? touched : undefined);
}

function upsertDocument(
  s: ServerState,
  db: string,
  name: string,
  filter: Document,
  u: Document | Document[],
  arrayFilters?: Document[],
): Document {
  const kind = updateKind(u);
  let doc: Document;
  if (kind === 'replacement') {
    const seedId = upsertSeed(filter)._id;
    doc = withIdFirst({ ...(seedId !== undefined ? { _id: seedId } : {}), ...(u as Document) });
  } else {
    const seed = withIdFirst(upsertSeed(filter));
    doc = withIdFirst(applyUpdate(seed, u, { arrayFilters, inserting: true }) ?? seed);
  }
  const meta = s.storage.ensureCollection(db, name);
  s.storage.insertDoc(meta, doc, serializeChecked(doc));
  return doc;
}

/** Runs one update statement inside the current write transaction. */
function runUpdateStatement(
  s: ServerState,
  db: string,
  name: string,
  st: Document,
): { n: number; nModified: number; upsertedId?: unknown } {
  rejectUnknownOptions({ update: 1, ...st }, [
    'q',
    'u',
    'upsert',
    'multi',
    'arrayFilters',
    'hint',
    'collation',
    'sort',
  ]);
  const filter = asDoc(st.q, 'q') ?? {};
  const u = st.u as Document | Document[];
  const kind = updateKind(u);
  const multi = st.multi === true;
  if (multi && kind === 'replacement')
    throw new CommandError('FailedToParse', 'multi update is not supported for replacement-style update');
  const arrayFilters = st.arrayFilters as Document[] | undefined;
  const meta = s.storage.collection(db, name);
  // Collect matches before writing, so a document moved forward in the index is not updated twice.
  const matches = [
    ...matchDocs(s, meta, {
      filter,
      sort: sortSpecOf(st.sort),
      skip: 0,
      limit: multi ? 0 : 1,
      hint: meta ? hintName(meta, st.hint) : undefined,
    }),
  ];
  if (matches.length === 0) {
    if (!st.upsert) return { n: 0, nModified: 0 };
    const inserted = upsertDocument(s, db, name, filter, u, arrayFilters);
    return { n: 1, nModified: 0, upsertedId: inserted._id };
  }
  let nModified = 0;
  for (const m of matches) {
    const fresh = BSON.deserialize(m.raw);
    const touched = new Set<string>();
    const updated = applyUpdate(fresh, u, { arrayFilters, filter, typedOriginal: typedView(m.raw), touched });
    if (!updated) continue;
    writeUpdated(s, meta!, m, updated, touched);
    nModified++;
  }
  return { n: matches.length, nModified };
}

export async function runCommand(state: ServerState, input: CommandInput): Promise<CommandResult> {
  const handler = handlers[input.name.toLowerCase()];
  if (!handler) throw new CommandError('CommandNotFound', `no such command: '${input.name}'`);
  if (input.body.startTransaction || input.body.autocommit !== undefined) {
    throw new CommandError(
      'IllegalOperation',
      'Transaction numbers are only allowed on a replica set member or mongos',
    );
  }
  checkDbName(input.db);
  if (input.name.toLowerCase() !== 'hello' && input.name.toLowerCase() !== 'ismaster')
    state.opcounters.command++;
  state.failPoints?.check(input.name);
  return handler(state, input);
}

export { ObjectId };
