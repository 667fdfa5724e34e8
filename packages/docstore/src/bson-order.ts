/**
 * MongoDB's BSON comparison order over deserialized values: MinKey < null/missing < numbers (int, long,
 * double, decimal compared by value) < strings < objects < arrays < binary < ObjectId < booleans < dates <
 * timestamps < regular expressions < MaxKey. mingo orders bson classes by constructor name, so every sort,
 * index key and $min/$max-like comparison in the docstore goes through this module instead.
 */
import type { Binary, Decimal128, Long, ObjectId, Timestamp } from 'bson';
import { CommandError } from './errors';

export const enum TypeRank {
  MinKey = 1,
  Null = 2,
  Number = 3,
  String = 4,
  Object = 5,
  Array = 6,
  Binary = 7,
  ObjectId = 8,
  Boolean = 9,
  Date = 10,
  Timestamp = 11,
  RegExp = 12,
  MaxKey = 13,
}

type BsonTagged = { _bsontype?: string };

function bsonTypeOf(value: object | null): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const tag = (value as BsonTagged)._bsontype;
  return typeof tag === 'string' ? tag : undefined;
}

export function typeRank(value: unknown): TypeRank {
  if (value === null || value === undefined) return TypeRank.Null;
  switch (typeof value) {
    case 'number':
    case 'bigint':
      return TypeRank.Number;
    case 'string':
      return TypeRank.String;
    case 'boolean':
      return TypeRank.Boolean;
    case 'object':
      break;
    default:
      return TypeRank.Null;
  }
  if (Array.isArray(value)) return TypeRank.Array;
  if (value instanceof Date) return TypeRank.Date;
  if (value instanceof RegExp) return TypeRank.RegExp;
  if (value instanceof Uint8Array) return TypeRank.Binary;
  switch (bsonTypeOf(value)) {
    case 'Long':
    case 'Int32':
    case 'Double':
    case 'Decimal128':
      return TypeRank.Number;
    case 'ObjectId':
      return TypeRank.ObjectId;
    case 'Binary':
      return TypeRank.Binary;
    case 'Timestamp':
      return TypeRank.Timestamp;
    case 'BSONRegExp':
      return TypeRank.RegExp;
    case 'BSONSymbol':
      return TypeRank.String;
    case 'MinKey':
      return TypeRank.MinKey;
    case 'MaxKey':
      return TypeRank.MaxKey;
    default:
      return TypeRank.Object;
  }
}

/** True for JS numbers and bson Int32/Long/Double/Decimal128 (and bigint). */
export function isNumeric(value: unknown): boolean {
  return typeRank(value) === TypeRank.Number;
}

/** Numeric value of any BSON number; Long beyond 2^53 and Decimal128 lose precision (documented limit). */
export function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  const tag = bsonTypeOf(value as object);
  if (tag === 'Long') return (value as Long).toNumber();
  if (tag === 'Decimal128') return Number.parseFloat((value as Decimal128).toString());
  return Number((value as { valueOf(): unknown }).valueOf());
}

function cmp<T extends string | number | bigint | boolean>(a: T, b: T): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i] - b[i];
  }
  return a.length - b.length;
}

function binaryParts(value: unknown): { subtype: number; bytes: Uint8Array } {
  if (value instanceof Uint8Array) return { subtype: 0, bytes: value };
  const bin = value as Binary;
  return { subtype: bin.sub_type, bytes: bin.buffer.subarray(0, bin.position) };
}

function regexParts(value: unknown): [string, string] {
  if (value instanceof RegExp) return [value.source, value.flags];
  const r = value as { pattern: string; options: string };
  return [r.pattern, r.options];
}

/** Total order over BSON values as MongoDB compares them (no collation: strings by UTF-8 code units). */
export function compareBson(a: unknown, b: unknown): number {
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra - rb;
  switch (ra) {
    case TypeRank.Null:
    case TypeRank.MinKey:
    case TypeRank.MaxKey:
      return 0;
    case TypeRank.Number: {
      const x = toNumber(a);
      const y = toNumber(b);
      if (Number.isNaN(x)) return Number.isNaN(y) ? 0 : -1;
      if (Number.isNaN(y)) return 1;
      return cmp(x, y);
    }
    case TypeRank.String:
      return compareStrings(String(a), String(b));
    case TypeRank.Boolean:
      return cmp(a as boolean, b as boolean);
    case TypeRank.Date:
      return cmp((a as Date).getTime(), (b as Date).getTime());
    case TypeRank.ObjectId:
      return compareBytes((a as ObjectId).id, (b as ObjectId).id);
    case TypeRank.Timestamp:
      return (a as Timestamp).compare(b as Timestamp);
    case TypeRank.Binary: {
      const x = binaryParts(a);
      const y = binaryParts(b);
      if (x.bytes.length !== y.bytes.length) return x.bytes.length - y.bytes.length;
      if (x.subtype !== y.subtype) return x.subtype - y.subtype;
      return compareBytes(x.bytes, y.bytes);
    }
    case TypeRank.RegExp: {
      const [sa, fa] = regexParts(a);
      const [sb, fb] = regexParts(b);
      return compareStrings(sa, sb) || compareStrings(fa, fb);
    }
    case TypeRank.Array: {
      const xs = a as unknown[];
      const ys = b as unknown[];
      const n = Math.min(xs.length, ys.length);
      for (let i = 0; i < n; i++) {
        const c = compareBson(xs[i], ys[i]);
        if (c !== 0) return c;
      }
      return xs.length - ys.length;
    }
    default: {
      const xa = Object.entries(a as object);
      const xb = Object.entries(b as object);
      const n = Math.min(xa.length, xb.length);
      for (let i = 0; i < n; i++) {
        const c =
          typeRank(xa[i][1]) - typeRank(xb[i][1]) ||
          compareStrings(xa[i][0], xb[i][0]) ||
          compareBson(xa[i][1], xb[i][1]);
        if (c !== 0) return c;
      }
      return xa.length - xb.length;
    }
  }
}

/** Byte-wise UTF-8 order (what MongoDB uses without collation); differs from UTF-16 order only past U+FFFF. */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  return compareBytes(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Every value a dotted path reaches, descending through arrays (MongoDB's multikey semantics). */
export function valuesAtPath(doc: unknown, path: string): unknown[] {
  const parts = path.split('.');
  const out: unknown[] = [];
  const walk = (value: unknown, i: number): void => {
    if (i === parts.length) {
      out.push(value);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      const key = parts[i];
      if (/^\d+$/.test(key)) {
        const idx = Number(key);
        if (idx < value.length) walk(value[idx], i + 1);
      }
      for (const item of value) {
        if (item !== null && typeof item === 'object' && !Array.isArray(item)) walk(item, i);
      }
      return;
    }
    const rec = value as Record<string, unknown>;
    if (Object.prototype.hasOwnProperty.call(rec, parts[i])) walk(rec[parts[i]], i + 1);
  };
  walk(doc, 0);
  return out;
}

/** The value MongoDB sorts a document by for one key: min element ascending, max descending; missing is null. */
export function sortKeyValue(doc: unknown, path: string, direction: 1 | -1): unknown {
  const found = valuesAtPath(doc, path);
  const flat: unknown[] = [];
  for (const v of found) {
    if (Array.isArray(v)) flat.push(...(v as unknown[]));
    else flat.push(v);
  }
  if (flat.length === 0) return null;
  let best = flat[0];
  for (let i = 1; i < flat.length; i++) {
    const c = compareBson(flat[i], best);
    if (direction === 1 ? c < 0 : c > 0) best = flat[i];
  }
  return best;
}

export type SortSpec = Array<[string, 1 | -1]>;

export function parseSortSpec(sort: unknown): SortSpec {
  if (sort === undefined || sort === null) return [];
  if (typeof sort !== 'object' || Array.isArray(sort))
    throw new CommandError('BadValue', 'sort must be an object');
  return Object.entries(sort as Record<string, unknown>).map(([k, v]) => {
    const n = toNumber(v);
    if (n !== 1 && n !== -1) throw new CommandError('BadValue', `bad sort direction for ${k}`);
    return [k, n];
  });
}

export function makeDocComparator(spec: SortSpec): (a: unknown, b: unknown) => number {
  return (a, b) => {
    for (const [path, dir] of spec) {
      const c = compareBson(sortKeyValue(a, path, dir), sortKeyValue(b, path, dir));
      if (c !== 0) return dir === 1 ? c : -c;
    }
    return 0;
  };
}
