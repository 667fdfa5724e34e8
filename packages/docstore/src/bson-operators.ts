/**
 * mingo operators replaced with BSON-aware versions: range comparisons compare numbers across int / long /
 * double / decimal and use MongoDB's type bracketing and BSON order; $type knows bson classes (ObjectId,
 * Binary, Long, Decimal128, Timestamp); $sort in pipelines sorts in BSON order. Every Query, Aggregator and
 * update the docstore builds uses MINGO_OPTIONS, or MINGO_QUERY_ONLY_OPTIONS (the same query operators)
 * where no expression is evaluated.
 */
import { Context } from 'mingo/core';
import * as accumulatorOps from 'mingo/operators/accumulator';
import * as expressionOps from 'mingo/operators/expression';
import * as pipelineOps from 'mingo/operators/pipeline';
import * as projectionOps from 'mingo/operators/projection';
import * as queryOps from 'mingo/operators/query';
import * as windowOps from 'mingo/operators/window';
import type { Options } from 'mingo/types';
import { Lazy, type Iterator as LazyIterator } from 'mingo/lazy';
import {
  TypeRank,
  compareBson,
  isNumeric,
  makeDocComparator,
  parseSortSpec,
  toNumber,
  typeRank,
  valuesAtPath,
} from './bson-order';

type Predicate = (doc: Record<string, unknown>) => boolean;

/** Candidates a field offers to a comparison: each reached value, and the elements of reached arrays. */
function candidates(doc: unknown, path: string): unknown[] {
  const out: unknown[] = [];
  for (const v of valuesAtPath(doc, path)) {
    out.push(v);
    if (Array.isArray(v)) out.push(...(v as unknown[]));
  }
  return out;
}

function rangeOperator(accept: (c: number) => boolean, inclusive: boolean) {
  return (selector: string, value: unknown): Predicate => {
    const rank = typeRank(value);
    return (doc) => {
      const found = candidates(doc, selector);
      // {$gte: null} and {$lte: null} match a missing field, as equality to null does.
      if (found.length === 0) return inclusive && rank === TypeRank.Null;
      for (const c of found) {
        if (typeRank(c) !== rank || Array.isArray(c) !== Array.isArray(value)) continue;
        if (accept(compareBson(c, value))) return true;
      }
      return false;
    };
  };
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

function bsonTag(v: unknown): string | undefined {
  return v !== null && typeof v === 'object' ? (v as { _bsontype?: string })._bsontype : undefined;
}

/** MongoDB $type aliases and numbers. Promoted JS numbers are int when integral in int32 range, else double. */
function matchesType(v: unknown, t: unknown): boolean {
  const tag = bsonTag(v);
  switch (t) {
    case 'double':
    case 1:
      return (
        (typeof v === 'number' && !(Number.isInteger(v) && v >= INT32_MIN && v <= INT32_MAX)) ||
        tag === 'Double'
      );
    case 'string':
    case 2:
      return typeof v === 'string';
    case 'object':
    case 3:
      return typeRank(v) === TypeRank.Object;
    case 'array':
    case 4:
      return Array.isArray(v);
    case 'binData':
    case 5:
      return typeRank(v) === TypeRank.Binary;
    case 'undefined':
    case 6:
      return v === undefined;
    case 'objectId':
    case 7:
      return tag === 'ObjectId';
    case 'bool':
    case 8:
      return typeof v === 'boolean';
    case 'date':
    case 9:
      return v instanceof Date;
    case 'null':
    case 10:
      return v === null;
    case 'regex':
    case 11:
      return typeRank(v) === TypeRank.RegExp;
    case 'javascript':
    case 13:
      return tag === 'Code';
    case 'int':
    case 16:
      return (
        (typeof v === 'number' && Number.isInteger(v) && v >= INT32_MIN && v <= INT32_MAX) || tag === 'Int32'
      );
    case 'timestamp':
    case 17:
      return tag === 'Timestamp';
    case 'long':
    case 18:
      return (
        tag === 'Long' || (typeof v === 'number' && Number.isInteger(v) && (v < INT32_MIN || v > INT32_MAX))
      );
    case 'decimal':
    case 19:
      return tag === 'Decimal128';
    case 'minKey':
    case -1:
      return tag === 'MinKey';
    case 'maxKey':
    case 127:
      return tag === 'MaxKey';
    case 'number':
      return isNumeric(v);
    default:
      if (isNumeric(t) && typeof t !== 'number') return matchesType(v, toNumber(t));
      throw new Error(`Unknown type name alias: ${String(t)}`);
  }
}

function $type(selector: string, value: unknown): Predicate {
  const wanted = Array.isArray(value) ? (value as unknown[]) : [value];
  for (const t of wanted) matchesType(undefined, t); // reject unknown aliases at compile time
  return (doc) => {
    for (const v of valuesAtPath(doc, selector)) {
      if (wanted.some((t) => matchesType(v, t))) return true;
      // A field holding an array matches when an element has the type (except for 'array' itself).
      if (
        Array.isArray(v) &&
        (v as unknown[]).some((e) => wanted.some((t) => t !== 'array' && t !== 4 && matchesType(e, t)))
      )
        return true;
    }
    return false;
  };
}

function $sort(coll: LazyIterator, sortKeys: unknown): LazyIterator {
  const cmp = makeDocComparator(parseSortSpec(sortKeys));
  return coll.transform((items: unknown[]) => Lazy(items.sort(cmp)));
}

const queryOperators = {
  ...queryOps,
  $gt: rangeOperator((c) => c > 0, false),
  $gte: rangeOperator((c) => c >= 0, true),
  $lt: rangeOperator((c) => c < 0, false),
  $lte: rangeOperator((c) => c <= 0, true),
  $type,
};

// Context.from() keeps the first definition of an operator, so the full set is built here with ours in it.
const context = Context.init({
  accumulator: { ...accumulatorOps } as never,
  expression: { ...expressionOps } as never,
  projection: { ...projectionOps } as never,
  window: { ...windowOps } as never,
  query: queryOperators as never,
  pipeline: { ...pipelineOps, $sort } as never,
});

export const MINGO_OPTIONS: Partial<Options> = { context };

/**
 * Options with the query operators only, for filters and modifier updates that hold no `$expr` (the one
 * query operator that evaluates expressions; see `mentionsExpr`). mingo copies the context it is given on
 * every `Query` and every update, and its updater then merges four operator tables into the copy: without
 * the ~170 expression operators each of those is several times cheaper.
 */
export const MINGO_QUERY_ONLY_OPTIONS: Partial<Options> = {
  context: Context.init({ query: queryOperators as never }),
};
