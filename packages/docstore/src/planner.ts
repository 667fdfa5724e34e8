/**
 * Chooses how to read a collection for a filter and sort: an index scan over bounds derived from equality
 * / $in / range predicates on an index prefix (and providing the sort order when the remaining index
 * fields match it), or a full scan. The filter is always re-applied to fetched documents, so bounds only
 * need to be a superset of the matches.
 */
import type { Document } from 'bson';
import { type SortSpec, TypeRank, typeRank } from './bson-order';
import { encodeCompound, encodeTypeFloor, prefixEnd } from './index-key';
import type { CollectionMeta, IndexSpec, Storage, StoredDoc } from './storage';

export interface Plan {
  index: IndexSpec | null;
  /** Key intervals [start, end) inside the index (without the index prefix). Empty list = nothing matches. */
  intervals: Array<[Buffer, Buffer]>;
  reverse: boolean;
  /** True when documents come out in the requested sort order. */
  providesSort: boolean;
  /** True when the index bounds select exactly the filter's matches, so the filter need not be re-run. */
  exact: boolean;
  /**
   * Set when every field of a unique index (or `_id`) is bound to points: the full keys, each naming at most
   * one document, read with a lookup instead of a range scan. Same order as `intervals`.
   */
  points?: Buffer[];
}

interface FieldBound {
  points?: unknown[];
  lo?: { value: unknown; inclusive: boolean };
  hi?: { value: unknown; inclusive: boolean };
}

const MAX_INTERVALS = 500;

function isOperatorObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || typeRank(v) !== TypeRank.Object)
    return false;
  const keys = Object.keys(v);
  return keys.length > 0 && keys.every((k) => k.startsWith('$'));
}

function pointable(v: unknown): boolean {
  const r = typeRank(v);
  return r !== TypeRank.RegExp && r !== TypeRank.Array && !(v === undefined);
}

/** Collects the top-level conjuncts of a filter (flattening $and). */
function conjuncts(filter: Document): Array<[string, unknown]> {
  const out: Array<[string, unknown]> = [];
  for (const [k, v] of Object.entries(filter)) {
    if (k === '$and' && Array.isArray(v)) {
      for (const sub of v) if (sub && typeof sub === 'object') out.push(...conjuncts(sub as Document));
    } else if (!k.startsWith('$')) out.push([k, v]);
  }
  return out;
}

function boundFor(field: string, parts: Array<[string, unknown]>, multikey: boolean): FieldBound | null {
  const bound: FieldBound = {};
  for (const [k, v] of parts) {
    if (k !== field) continue;
    if (!isOperatorObject(v)) {
      if (!pointable(v)) continue;
      return { points: [v] };
    }
    for (const [op, arg] of Object.entries(v)) {
      if (op === '$eq' && pointable(arg)) return { points: [arg] };
      if (op === '$in' && Array.isArray(arg) && arg.every(pointable) && arg.length > 0)
        return { points: arg };
      if ((op === '$gt' || op === '$gte') && pointable(arg) && !bound.lo) {
        bound.lo = { value: arg, inclusive: op === '$gte' };
      }
      if ((op === '$lt' || op === '$lte') && pointable(arg) && !bound.hi) {
        bound.hi = { value: arg, inclusive: op === '$lte' };
      }
    }
  }
  if (!bound.lo && !bound.hi) return null;
  // A multikey index cannot intersect two bounds (different array elements may satisfy each).
  if (multikey && bound.lo && bound.hi) delete bound.hi;
  if (bound.lo && bound.hi && typeRank(bound.lo.value) !== typeRank(bound.hi.value)) delete bound.hi;
  return bound;
}

function rangeInterval(prefix: Buffer, b: FieldBound, dir: 1 | -1): [Buffer, Buffer] {
  const rank = typeRank((b.lo ?? b.hi)!.value);
  const enc = (v: unknown) => Buffer.concat([prefix, encodeCompound([v], [dir])]);
  const typeStart = Buffer.concat([prefix, encodeTypeFloor(rank, dir)]);
  const typeEnd = prefixEnd(typeStart);
  // In encoded order a descending component runs from the natural upper bound to the lower one.
  const [first, last] = dir === 1 ? [b.lo, b.hi] : [b.hi, b.lo];
  let start: Buffer = typeStart;
  let end: Buffer = typeEnd;
  if (first) {
    const inclusive = first.inclusive;
    start = inclusive ? enc(first.value) : prefixEnd(enc(first.value));
  }
  if (last) end = last.inclusive ? prefixEnd(enc(last.value)) : enc(last.value);
  return [start, end];
}

function planForIndex(ix: IndexSpec, filter: Document, sort: SortSpec): { plan: Plan; score: number } | null {
  if (ix.partialFilterExpression) return null;
  const parts = conjuncts(filter);
  let prefixes: Buffer[] = [Buffer.alloc(0)];
  let eqFields = 0;
  let singlePoint = true;
  let intervals: Array<[Buffer, Buffer]> | null = null;
  let score = 0;
  const used = new Map<string, FieldBound>();
  for (let i = 0; i < ix.key.length; i++) {
    const [field, dir] = ix.key[i];
    const b = boundFor(field, parts, ix.multikey);
    if (!b) break;
    used.set(field, b);
    // A sparse index lacks documents where the field is missing, which {field: null} must find.
    if (ix.sparse && b.points?.some((p) => p === null)) return null;
    if (b.points) {
      if (prefixes.length * b.points.length > MAX_INTERVALS) break;
      if (b.points.length > 1) singlePoint = false;
      const next: Buffer[] = [];
      for (const p of prefixes)
        for (const v of b.points) next.push(Buffer.concat([p, encodeCompound([v], [dir])]));
      prefixes = next;
      eqFields++;
      score += 10;
      continue;
    }
    if (prefixes.length > MAX_INTERVALS) break;
    intervals = prefixes.map((p) => rangeInterval(p, b, dir));
    score += 5;
    break;
  }
  const points =
    !intervals && eqFields === ix.key.length && (ix.unique || ix.id === 0) ? prefixes : undefined;
  if (!intervals)
    intervals =
      eqFields === 0 ? [[Buffer.alloc(0), Buffer.from([0xff])]] : prefixes.map((p) => [p, prefixEnd(p)]);

  // Sort: the sort fields (minus equality-bound ones) must continue the index key after the equality prefix.
  let providesSort = false;
  let reverse = false;
  if (sort.length > 0 && !ix.multikey && !ix.sparse && singlePoint) {
    const eqNames = new Set(ix.key.slice(0, eqFields).map(([f]) => f));
    const rest = sort.filter(([f]) => !eqNames.has(f));
    const keyRest = ix.key.slice(eqFields);
    if (rest.length === 0) providesSort = true;
    else if (rest.length <= keyRest.length) {
      const same = rest.every(([f, d], i) => keyRest[i][0] === f && keyRest[i][1] === d);
      const opposite = rest.every(([f, d], i) => keyRest[i][0] === f && keyRest[i][1] === -d);
      if (same || opposite) {
        providesSort = true;
        reverse = opposite;
      }
    }
  }
  if (eqFields === 0 && score === 0 && !providesSort) return null;
  if (ix.sparse && eqFields === 0 && score === 0) return null;
  if (providesSort) score += 3;
  if (ix.unique && eqFields === ix.key.length) score += 2;
  if (ix.id === 0) score += 1;
  const exact = !ix.multikey && coversExactly(filter, used);
  return { plan: { index: ix, intervals, reverse, providesSort, exact, points }, score };
}

/** Whether a value encodes losslessly (Long beyond 2^53 and Decimal128 become doubles in keys). */
function losslessKey(v: unknown): boolean {
  return typeRank(v) !== TypeRank.Number || typeof v === 'number';
}

/**
 * True when every predicate of the filter is one the bounds applied in full: plain equality, $eq or $in on
 * a point field, or range operators that all became interval ends. Then the scan returns exactly the
 * matches (MongoDB's equality/range semantics equal key order within a type bracket).
 */
function coversExactly(filter: Document, used: Map<string, FieldBound>): boolean {
  for (const [k, v] of Object.entries(filter)) {
    const b = used.get(k);
    if (k.startsWith('$') || !b) return false;
    if (b.points) {
      if (!b.points.every(losslessKey)) return false;
      if (!isOperatorObject(v)) {
        if (b.points.length !== 1) return false;
        continue;
      }
      const ops = Object.keys(v);
      if (ops.length !== 1 || (ops[0] !== '$eq' && ops[0] !== '$in')) return false;
      continue;
    }
    if (!isOperatorObject(v)) return false;
    const ops = Object.keys(v);
    if (!ops.every((op) => op === '$gt' || op === '$gte' || op === '$lt' || op === '$lte')) return false;
    if (ops.length !== (b.lo ? 1 : 0) + (b.hi ? 1 : 0)) return false;
    if ((b.lo && !losslessKey(b.lo.value)) || (b.hi && !losslessKey(b.hi.value))) return false;
  }
  return true;
}

export function choosePlan(meta: CollectionMeta, filter: Document, sort: SortSpec, hint?: string): Plan {
  let best: { plan: Plan; score: number } | null = null;
  for (const ix of meta.indexes) {
    if (hint !== undefined && ix.name !== hint) continue;
    const candidate = planForIndex(ix, filter, sort);
    if (candidate && (!best || candidate.score > best.score)) best = candidate;
  }
  if (best) return best.plan;
  return { index: null, intervals: [], reverse: false, providesSort: sort.length === 0, exact: false };
}

/** Streams the documents a plan reads, deduplicated for multikey indexes; the caller applies the filter. */
export function* executePlan(storage: Storage, meta: CollectionMeta, plan: Plan): Generator<StoredDoc> {
  if (plan.index && plan.points) {
    yield* readPoints(storage, meta, plan.index, plan.reverse ? [...plan.points].reverse() : plan.points);
    return;
  }
  const docsPrefix = storage.docsPrefix(meta);
  if (!plan.index || plan.index.id === 0) {
    const intervals: Array<[Buffer, Buffer]> = plan.index
      ? plan.intervals
      : [[Buffer.alloc(0), Buffer.from([0xff])]];
    const ordered = plan.reverse ? [...intervals].reverse() : intervals;
    for (const [s, e] of ordered) {
      yield* storage.scanRange(Buffer.concat([docsPrefix, s]), Buffer.concat([docsPrefix, e]), plan.reverse);
    }
    return;
  }
  const ixPrefix = storage.indexPrefix(plan.index);
  const seen = plan.index.multikey || plan.intervals.length > 1 ? new Set<string>() : null;
  const ordered = plan.reverse ? [...plan.intervals].reverse() : plan.intervals;
  for (const [s, e] of ordered) {
    for (const idKey of storage.scanIndexRange(
      Buffer.concat([ixPrefix, s]),
      Buffer.concat([ixPrefix, e]),
      plan.reverse,
    )) {
      if (seen) {
        const k = idKey.toString('latin1');
        if (seen.has(k)) continue;
        seen.add(k);
      }
      const stored = storage.getById(meta, idKey);
      if (stored) yield stored;
    }
  }
}

/**
 * The documents of full unique keys (no key encoding is a prefix of another, so the range [key, prefixEnd(key))
 * the scan would read holds that key alone), deduplicated when a multikey index names one document twice.
 */
function* readPoints(
  storage: Storage,
  meta: CollectionMeta,
  index: IndexSpec,
  points: Buffer[],
): Generator<StoredDoc> {
  const seen = points.length > 1 ? new Set<string>() : null;
  for (const key of points) {
    const idKey = index.id === 0 ? key : storage.uniqueIndexEntry(index, key);
    if (!idKey) continue;
    if (seen) {
      const k = idKey.toString('latin1');
      if (seen.has(k)) continue;
      seen.add(k);
    }
    const stored = storage.getById(meta, idKey);
    if (stored) yield stored;
  }
}

export function explainPlan(plan: Plan): Document {
  if (!plan.index) return { stage: 'COLLSCAN', direction: 'forward' };
  const ixscan = {
    stage: 'IXSCAN',
    indexName: plan.index.name,
    keyPattern: Object.fromEntries(plan.index.key),
    isMultiKey: plan.index.multikey,
    isUnique: plan.index.unique,
    isSparse: plan.index.sparse,
    direction: plan.reverse ? 'backward' : 'forward',
    intervalCount: plan.intervals.length,
  };
  return { stage: 'FETCH', inputStage: ixscan };
}
