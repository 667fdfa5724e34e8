/**
 * Query, projection and update semantics from mingo, compiled once per command, with the gaps the docstore
 * fills itself: BSON-order sorting, $setOnInsert, upsert seeding from the filter, immutable `_id`.
 */
import { BSON, type Document, Double, Long, ObjectId, Timestamp } from 'bson';
import { Aggregator } from 'mingo/aggregator';
import { Query } from 'mingo/query';
import { update as mingoUpdate } from 'mingo/updater';
import { cloneDeep, isEqual } from 'mingo/util';
import { type SortSpec, makeDocComparator } from './bson-order';
import { MINGO_OPTIONS, MINGO_QUERY_ONLY_OPTIONS } from './bson-operators';
import { CommandError, badValue, notImplemented } from './errors';

export type DocPredicate = (doc: Document) => boolean;

const FIELD_OPERATORS = new Set([
  '$eq',
  '$ne',
  '$gt',
  '$gte',
  '$lt',
  '$lte',
  '$in',
  '$nin',
  '$exists',
  '$type',
  '$regex',
  '$options',
  '$not',
  '$elemMatch',
  '$size',
  '$all',
  '$mod',
  '$bitsAllSet',
  '$bitsAnySet',
  '$bitsAllClear',
  '$bitsAnyClear',
]);
const TOP_LEVEL_OPERATORS = new Set(['$and', '$or', '$nor', '$expr', '$comment', '$jsonSchema']);
const UNSUPPORTED_QUERY_OPERATORS = new Set([
  '$text',
  '$where',
  '$near',
  '$nearSphere',
  '$geoWithin',
  '$geoIntersects',
]);

function isPlainObject(v: unknown): v is Document {
  return (
    v !== null && typeof v === 'object' && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype
  );
}

/** mingo treats unknown operators as literal sub-documents; MongoDB rejects them, and so do we. */
export function validateFilter(filter: Document): void {
  for (const [key, value] of Object.entries(filter)) {
    if (key.startsWith('$')) {
      if (UNSUPPORTED_QUERY_OPERATORS.has(key)) throw notImplemented(`query operator ${key}`);
      if (!TOP_LEVEL_OPERATORS.has(key)) throw badValue(`unknown top level operator: ${key}`);
      if (key === '$and' || key === '$or' || key === '$nor') {
        if (!Array.isArray(value) || value.length === 0) throw badValue(`${key} must be a nonempty array`);
        for (const sub of value) {
          if (!isPlainObject(sub)) throw badValue(`${key} entries must be objects`);
          validateFilter(sub);
        }
      }
      continue;
    }
    if (!isPlainObject(value)) continue;
    const ops = Object.keys(value);
    if (ops.length === 0 || !ops[0].startsWith('$')) continue;
    for (const op of ops) {
      if (UNSUPPORTED_QUERY_OPERATORS.has(op)) throw notImplemented(`query operator ${op}`);
      if (!FIELD_OPERATORS.has(op)) throw badValue(`unknown operator: ${op}`);
    }
    if (isPlainObject(value.$not)) validateFilter({ [key]: value.$not });
  }
}

export function compileFilter(filter: unknown): DocPredicate {
  if (filter === undefined || filter === null) return () => true;
  if (typeof filter !== 'object' || Array.isArray(filter)) throw badValue('filter must be an object');
  if (Object.keys(filter).length === 0) return () => true;
  validateFilter(filter as Document);
  const q = new Query(filter as Document, mentionsExpr(filter) ? MINGO_OPTIONS : MINGO_QUERY_ONLY_OPTIONS);
  return (doc) => q.test(doc);
}

export function compileProjection(projection: unknown): ((docs: Document[]) => Document[]) | null {
  if (projection === undefined || projection === null) return null;
  if (typeof projection !== 'object' || Array.isArray(projection))
    throw badValue('projection must be an object');
  if (Object.keys(projection).length === 0) return null;
  const plain = topLevelProjection(projection as Document);
  if (plain) return (docs) => docs.map(plain);
  const q = new Query({}, MINGO_OPTIONS);
  return (docs) => q.find<Document>(docs, projection as Document).all();
}

/**
 * A projection that only includes or only excludes top-level fields (mongoose's `select: false` fields,
 * `{_id: 1, seq: 1}`), applied directly. Through mingo each such query copied the operator context and
 * each returned document went through a cursor and `$project` of its own (≈ 15 µs per document, most of
 * a history page's time); anything else (dotted paths, operators, expressions, a mix) still goes to mingo.
 * Included fields come out in document order, `_id` first unless excluded, as MongoDB returns them.
 */
function topLevelProjection(projection: Document): ((doc: Document) => Document) | null {
  let keepId = true;
  const fields = new Set<string>();
  let including: boolean | undefined;
  for (const [field, value] of Object.entries(projection)) {
    if (!isTopLevelField(field) && field !== '_id') return null;
    if (typeof value !== 'number' && typeof value !== 'boolean') return null;
    const include = value !== 0 && value !== false;
    if (field === '_id') {
      keepId = include;
      continue;
    }
    if (including !== undefined && including !== include) return null;
    including = include;
    fields.add(field);
  }
  if (including === undefined) {
    // Only `_id` named: {_id: 0} excludes it, {_id: 1} keeps nothing else.
    return keepId ? (doc) => ('_id' in doc ? { _id: doc._id } : {}) : (doc) => without(doc, new Set(['_id']));
  }
  if (!including) {
    if (!keepId) fields.add('_id');
    return (doc) => without(doc, fields);
  }
  return (doc) => {
    const out: Document = {};
    for (const key of Object.keys(doc)) {
      if (key === '_id' ? keepId : fields.has(key)) out[key] = doc[key];
    }
    return out;
  };
}

function without(doc: Document, fields: Set<string>): Document {
  const out: Document = {};
  for (const key of Object.keys(doc)) if (!fields.has(key)) out[key] = doc[key];
  return out;
}

export function sortDocs<T extends { doc: Document }>(items: T[], spec: SortSpec): T[] {
  const cmp = makeDocComparator(spec);
  return items.sort((a, b) => cmp(a.doc, b.doc));
}

const UPDATE_OPERATORS = new Set([
  '$set',
  '$unset',
  '$inc',
  '$mul',
  '$min',
  '$max',
  '$rename',
  '$setOnInsert',
  '$currentDate',
  '$push',
  '$addToSet',
  '$pull',
  '$pullAll',
  '$pop',
  '$bit',
]);

export type UpdateKind = 'modifier' | 'replacement' | 'pipeline';

export function updateKind(u: unknown): UpdateKind {
  if (Array.isArray(u)) return 'pipeline';
  if (u === null || typeof u !== 'object')
    throw new CommandError('FailedToParse', 'update must be an object or array');
  const keys = Object.keys(u);
  const ops = keys.filter((k) => k.startsWith('$'));
  if (ops.length === 0) return 'replacement';
  if (ops.length !== keys.length) {
    throw new CommandError('FailedToParse', 'update document mixes operators and fields');
  }
  for (const op of ops) {
    if (!UPDATE_OPERATORS.has(op)) throw new CommandError('FailedToParse', `Unknown modifier: ${op}`);
  }
  return 'modifier';
}

function idEquals(a: unknown, b: unknown): boolean {
  return Buffer.from(BSON.serialize({ v: a })).equals(Buffer.from(BSON.serialize({ v: b })));
}

function immutableId(): CommandError {
  return new CommandError(
    'ImmutableField',
    "Performing an update on the path '_id' would modify the immutable field '_id'",
  );
}

/**
 * Applies an update to a fresh copy of a document. Returns the new document, or null when nothing changed.
 * `inserting` applies $setOnInsert (MongoDB only honours it when an upsert inserts).
 */
export function applyUpdate(
  doc: Document,
  u: Document | Document[],
  opts: {
    arrayFilters?: Document[];
    filter?: Document;
    inserting?: boolean;
    typedOriginal?: Document;
    /**
     * Filled with the changed fields when the update touched top-level fields only (then index entries on
     * other fields need no maintenance); left empty when mingo applied it.
     */
    touched?: Set<string>;
  },
): Document | null {
  const kind = updateKind(u);
  if (kind === 'pipeline') {
    const out = new Aggregator(u as Document[], MINGO_OPTIONS).run([doc])[0] as Document | undefined;
    if (!out) throw badValue('update pipeline removed the document');
    if (!idEquals(out._id, doc._id)) throw immutableId();
    return Buffer.from(BSON.serialize(out)).equals(BSON.serialize(doc)) ? null : out;
  }
  if (kind === 'replacement') {
    const repl = u as Document;
    if ('_id' in repl && !idEquals(repl._id, doc._id)) throw immutableId();
    const { _id: _ignored, ...rest } = repl;
    const out: Document = { _id: doc._id, ...rest };
    return Buffer.from(BSON.serialize(out)).equals(BSON.serialize(doc)) ? null : out;
  }
  const modifier: Document = { ...(u as Document) };
  const onInsert = modifier.$setOnInsert as Document | undefined;
  delete modifier.$setOnInsert;
  if (opts.inserting && onInsert) modifier.$set = { ...((modifier.$set as Document) ?? {}), ...onInsert };
  // mingo writes $currentDate timestamps as numbers; MongoDB stores a BSON Timestamp.
  const currentDate = modifier.$currentDate as Document | undefined;
  if (currentDate) {
    delete modifier.$currentDate;
    const now = new Date();
    const set: Document = { ...((modifier.$set as Document) ?? {}) };
    for (const [path, spec] of Object.entries(currentDate)) {
      const type = spec && typeof spec === 'object' ? (spec as Document).$type : 'date';
      if (spec !== true && type !== 'date' && type !== 'timestamp')
        throw badValue(`$currentDate: bad spec for ${path}`);
      set[path] =
        type === 'timestamp'
          ? new Timestamp({ t: Math.floor(now.getTime() / 1000), i: nextTimestampIncrement() })
          : now;
    }
    modifier.$set = set;
  }
  const before = opts.inserting ? null : Buffer.from(BSON.serialize(doc));
  const id = doc._id;
  let changed: string[] = [];
  const direct = opts.arrayFilters?.length ? null : topLevelModifier(doc, modifier);
  if (direct) {
    changed = applyTopLevelModifier(doc, direct);
    for (const field of changed) opts.touched?.add(field);
  } else if (Object.keys(modifier).length > 0) {
    try {
      // mingo filters by the condition again (the caller already matched it); it needs the condition
      // only to resolve a positional `$` path, and compiling it costs a query per update.
      const condition = hasPositionalPath(modifier) ? opts.filter : undefined;
      const expressions = mentionsExpr([modifier, opts.arrayFilters, condition]);
      changed = mingoUpdate(doc, modifier, opts.arrayFilters, condition, {
        cloneMode: 'deep',
        queryOptions: expressions ? MINGO_OPTIONS : MINGO_QUERY_ONLY_OPTIONS,
      });
    } catch (err) {
      if (err instanceof CommandError) throw err;
      const message = (err as Error).message;
      if (/conflict/i.test(message)) throw new CommandError('ConflictingUpdateOperators', message);
      throw badValue(message);
    }
  }
  if (opts.typedOriginal) restoreNumberTypes(doc, opts.typedOriginal);
  if (!idEquals(doc._id, id)) throw immutableId();
  if (changed.length === 0 && !opts.inserting) return null;
  if (before && before.equals(BSON.serialize(doc))) return null;
  return doc;
}

type TopLevelChange = ['$set' | '$unset' | '$inc', string, unknown];

/** A field name that mingo's path walk would treat as one plain key of the document itself. */
function isTopLevelField(field: string): boolean {
  return (
    field !== '' &&
    field !== '_id' &&
    field !== '__proto__' &&
    !field.includes('.') &&
    !field.startsWith('$') &&
    !/^\d+$/.test(field)
  );
}

/**
 * The changes of a modifier made only of `$set`, `$unset` and `$inc` on distinct top-level fields (a room
 * counter's `$inc` with its `updatedAt`, most of the server's writes), or null when mingo must apply it.
 * mingo's updater builds its options afresh on every call, copying its whole operator tables (about 0.25 ms
 * per update, far more than the update itself); for these paths its operators do exactly what
 * `applyTopLevelModifier` does, so anything else (dotted or positional paths, other operators, an `$inc`
 * that mingo would refuse or skip) still goes to mingo.
 */
function topLevelModifier(doc: Document, modifier: Document): TopLevelChange[] | null {
  const changes: TopLevelChange[] = [];
  const fields = new Set<string>();
  for (const op of Object.keys(modifier)) {
    if (op !== '$set' && op !== '$unset' && op !== '$inc') return null;
    const spec = modifier[op] as unknown;
    if (!isPlainObject(spec)) return null;
    for (const field of Object.keys(spec)) {
      if (!isTopLevelField(field) || fields.has(field)) return null;
      const value = spec[field] as unknown;
      if (op === '$inc') {
        const current = doc[field] as unknown;
        if (typeof value !== 'number' || Number.isNaN(value)) return null;
        if (current !== undefined && (typeof current !== 'number' || Number.isNaN(current))) return null;
      }
      fields.add(field);
      changes.push([op, field, value]);
    }
  }
  return changes;
}

/** Applies what `topLevelModifier` accepted, as mingo's `$set`, `$unset` and `$inc` would; returns the changed fields. */
function applyTopLevelModifier(doc: Document, changes: TopLevelChange[]): string[] {
  const changed: string[] = [];
  for (const [op, field, value] of changes) {
    const previous = doc[field] as unknown;
    if (op === '$set') {
      if (isEqual(previous, value)) continue;
      doc[field] = cloneDeep(value);
    } else if (op === '$unset') {
      if (!Object.prototype.hasOwnProperty.call(doc, field)) continue;
      delete doc[field];
      if (previous === undefined) continue;
    } else {
      doc[field] = ((previous as number | undefined) || 0) + (value as number);
      if (doc[field] === previous) continue;
    }
    changed.push(field);
  }
  return changed;
}

/**
 * Whether `$expr` (the one query operator that evaluates mingo's expression operators) or `$where` appears
 * anywhere; without them a filter, `arrayFilters` or a `$pull` condition needs the query operators only.
 */
function mentionsExpr(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(mentionsExpr);
  if (!isPlainObject(value)) return false;
  for (const [key, inner] of Object.entries(value)) {
    if (key === '$expr' || key === '$where' || mentionsExpr(inner)) return true;
  }
  return false;
}

/** Whether an update path uses the positional `$` (which mingo resolves from the query condition). */
function hasPositionalPath(modifier: Document): boolean {
  for (const spec of Object.values(modifier)) {
    if (!isPlainObject(spec)) continue;
    for (const path of Object.keys(spec)) if (path.split('.').includes('$')) return true;
  }
  return false;
}

/** The document an upsert starts from: equality fields of the filter (MongoDB's upsert seeding). */
export function upsertSeed(filter: Document): Document {
  const seed: Document = {};
  const visit = (f: Document): void => {
    for (const [k, v] of Object.entries(f)) {
      if (k === '$and' && Array.isArray(v)) {
        for (const sub of v) visit(sub as Document);
        continue;
      }
      if (k.startsWith('$')) continue;
      let value: unknown = v;
      if (
        v !== null &&
        typeof v === 'object' &&
        !Array.isArray(v) &&
        !(v instanceof Date) &&
        !(v instanceof RegExp)
      ) {
        const keys = Object.keys(v);
        if (keys.length > 0 && keys.every((x) => x.startsWith('$'))) {
          if ('$eq' in (v as Document)) value = (v as Document).$eq;
          else continue;
        }
      }
      if (value instanceof RegExp) continue;
      setPath(seed, k, value);
    }
  };
  visit(filter);
  return seed;
}

function setPath(target: Document, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur: Document = target;
  for (let i = 0; i < parts.length - 1; i++) {
    const next = cur[parts[i]];
    if (next === null || typeof next !== 'object') cur[parts[i]] = {};
    cur = cur[parts[i]] as Document;
  }
  cur[parts[parts.length - 1]] = value;
}

/** Puts `_id` first (generating an ObjectId when absent), as MongoDB stores documents. */
export function withIdFirst(doc: Document): Document {
  const keys = Object.keys(doc);
  if (keys[0] === '_id') return doc;
  const { _id, ...rest } = doc;
  return { _id: _id === undefined ? new ObjectId() : _id, ...rest };
}

let timestampIncrement = 0;
function nextTimestampIncrement(): number {
  timestampIncrement = (timestampIncrement + 1) % 0x7fffffff;
  return timestampIncrement;
}

function bsonTag(v: unknown): string | undefined {
  return v !== null && typeof v === 'object' ? (v as { _bsontype?: string })._bsontype : undefined;
}

/**
 * Stored documents are read with numbers promoted to JS numbers (what mingo computes with). Before writing
 * an updated document back, numbers at paths that held a double or a long get that BSON type again, so an
 * update never silently turns 2.0 (double) or a long counter into an int32.
 */
export function restoreNumberTypes(doc: Document | unknown[], typed: unknown): void {
  if (typed === null || typeof typed !== 'object') return;
  const entries: Array<[string | number, unknown]> = Array.isArray(doc)
    ? doc.map((v, i) => [i, v])
    : Object.entries(doc);
  for (const [k, v] of entries) {
    const original = (typed as Record<string | number, unknown>)[k];
    if (typeof v === 'number') {
      const tag = bsonTag(original);
      if (tag === 'Double') (doc as Record<string | number, unknown>)[k] = new Double(v);
      else if (tag === 'Long' && Number.isSafeInteger(v))
        (doc as Record<string | number, unknown>)[k] = Long.fromNumber(v);
    } else if (
      v !== null &&
      typeof v === 'object' &&
      (Array.isArray(v) || bsonTag(v) === undefined) &&
      !(v instanceof Date)
    ) {
      restoreNumberTypes(v as Document, original);
    }
  }
}

export function typedView(raw: Buffer): Document {
  return BSON.deserialize(raw, { promoteValues: false, validation: { utf8: false } });
}
