import { Binary, Decimal128, Double, Int32, Long, ObjectId, Timestamp } from 'bson';

/**
 * Matching rules of MongoDB's unified test format ("Evaluating Matches"): numbers compare by value across
 * BSON numeric types, root-level documents may carry extra fields, nested ones may not, arrays match
 * element-wise with equal length, and `$$`-prefixed special operators ($$exists, $$type,
 * $$unsetOrMatches, $$matchesEntity, $$matchesHexBytes) stand in for values a test cannot know.
 */
export type EntityLookup = (name: string) => unknown;

export class MatchError extends Error {}

type Plain = Record<string, unknown>;

function isPlainObject(value: unknown): value is Plain {
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value) || Buffer.isBuffer(value) || value instanceof Date) return false;
  const bsonType = (value as { _bsontype?: unknown })._bsontype;
  return bsonType === undefined;
}

/** The expected value's special operator, when it is an object whose first and only key starts with `$$`. */
function specialOperator(expected: unknown): [string, unknown] | undefined {
  if (!isPlainObject(expected)) return undefined;
  const keys = Object.keys(expected);
  if (keys.length === 1 && keys[0].startsWith('$$')) return [keys[0], expected[keys[0]]];
  return undefined;
}

function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Int32 || value instanceof Double) return value.valueOf();
  if (value instanceof Long) return value.toNumber();
  if (value instanceof Decimal128) return Number(value.toString());
  return undefined;
}

/** The $type alias of a BSON value as the driver decodes it (promoteValues on). */
export function bsonTypeOf(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number')
    return Number.isInteger(value) && Math.abs(value) < 2 ** 31 ? 'int' : 'double';
  if (typeof value === 'bigint') return 'long';
  if (value instanceof Date) return 'date';
  if (Array.isArray(value)) return 'array';
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return 'binData';
  const bsonType = (value as { _bsontype?: string })._bsontype;
  switch (bsonType) {
    case 'ObjectId':
      return 'objectId';
    case 'Long':
      return 'long';
    case 'Int32':
      return 'int';
    case 'Double':
      return 'double';
    case 'Decimal128':
      return 'decimal';
    case 'Binary':
      return 'binData';
    case 'Timestamp':
      return 'timestamp';
    case 'BSONRegExp':
      return 'regex';
    case 'MinKey':
      return 'minKey';
    case 'MaxKey':
      return 'maxKey';
    case 'Code':
      return 'javascript';
    case undefined:
      return value instanceof RegExp ? 'regex' : 'object';
    default:
      return String(bsonType);
  }
}

function typeMatches(expectedTypes: string[], actual: unknown): boolean {
  const actualType = bsonTypeOf(actual);
  return expectedTypes.some((t) => {
    if (t === actualType) return true;
    // A JS number that holds an integer may have been an int, long or double on the wire.
    if (
      typeof actual === 'number' &&
      Number.isInteger(actual) &&
      (t === 'long' || t === 'double' || t === 'int')
    ) {
      return true;
    }
    return t === 'number' && asNumber(actual) !== undefined;
  });
}

function bytesOf(value: unknown): Buffer | undefined {
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Binary) return Buffer.from(value.buffer);
  if (value instanceof Uint8Array) return Buffer.from(value);
  return undefined;
}

function describe(value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
  } catch {
    return String(value);
  }
}

function fail(path: string, message: string): never {
  throw new MatchError(`${path || '(root)'}: ${message}`);
}

function matchScalar(expected: unknown, actual: unknown, path: string): void {
  const expectedNumber = asNumber(expected);
  if (expectedNumber !== undefined) {
    const actualNumber = asNumber(actual);
    if (actualNumber === undefined || actualNumber !== expectedNumber) {
      fail(path, `expected number ${expectedNumber}, got ${describe(actual)}`);
    }
    return;
  }
  if (expected instanceof ObjectId) {
    if (!(actual instanceof ObjectId) || !actual.equals(expected)) {
      fail(path, `expected ObjectId ${expected.toHexString()}, got ${describe(actual)}`);
    }
    return;
  }
  if (expected instanceof Date) {
    if (!(actual instanceof Date) || actual.getTime() !== expected.getTime()) {
      fail(path, `expected date ${expected.toISOString()}, got ${describe(actual)}`);
    }
    return;
  }
  const expectedBytes = bytesOf(expected);
  if (expectedBytes) {
    const actualBytes = bytesOf(actual);
    if (!actualBytes || !actualBytes.equals(expectedBytes)) {
      fail(path, `expected bytes ${expectedBytes.toString('hex')}, got ${describe(actual)}`);
    }
    return;
  }
  if (expected instanceof Timestamp) {
    if (!(actual instanceof Timestamp) || !actual.equals(expected))
      fail(path, `expected ${describe(expected)}`);
    return;
  }
  if (expected !== actual) fail(path, `expected ${describe(expected)}, got ${describe(actual)}`);
}

/** Asserts that `actual` matches `expected`; throws MatchError naming the first mismatching path. */
export function assertMatches(
  expected: unknown,
  actual: unknown,
  entities: EntityLookup,
  options: { root?: boolean; rootArrayOfDocuments?: boolean } = {},
): void {
  matchValue(expected, actual, entities, '', options.root ?? true, options.rootArrayOfDocuments ?? false);
}

function matchValue(
  expected: unknown,
  actual: unknown,
  entities: EntityLookup,
  path: string,
  root: boolean,
  rootArrayOfDocuments: boolean,
): void {
  const special = specialOperator(expected);
  if (special) {
    matchSpecial(special[0], special[1], actual, entities, path, root);
    return;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) fail(path, `expected an array, got ${describe(actual)}`);
    if (actual.length !== expected.length) {
      fail(path, `expected ${expected.length} elements, got ${actual.length}: ${describe(actual)}`);
    }
    expected.forEach((item, i) =>
      matchValue(
        item,
        actual[i],
        entities,
        `${path}[${i}]`,
        rootArrayOfDocuments && isPlainObject(item),
        false,
      ),
    );
    return;
  }
  if (isPlainObject(expected)) {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) {
      fail(path, `expected a document, got ${describe(actual)}`);
    }
    const actualDoc = actual as Plain;
    for (const [key, value] of Object.entries(expected)) {
      const childPath = path ? `${path}.${key}` : key;
      const op = specialOperator(value);
      const present = key in actualDoc && actualDoc[key] !== undefined;
      if (op && op[0] === '$$exists') {
        if (present !== op[1])
          fail(childPath, op[1] ? 'expected the field to exist' : 'expected no such field');
        continue;
      }
      if (op && op[0] === '$$unsetOrMatches' && !present) continue;
      if (!present) fail(childPath, `missing; expected ${describe(value)}`);
      matchValue(value, actualDoc[key], entities, childPath, false, false);
    }
    if (!root) {
      const extra = Object.keys(actualDoc).filter((k) => !(k in expected) && actualDoc[k] !== undefined);
      if (extra.length > 0) fail(path, `unexpected fields ${extra.join(', ')} in nested document`);
    }
    return;
  }
  matchScalar(expected, actual, path);
}

function matchSpecial(
  operator: string,
  operand: unknown,
  actual: unknown,
  entities: EntityLookup,
  path: string,
  root: boolean,
): void {
  switch (operator) {
    case '$$unsetOrMatches':
      if (actual === undefined) return;
      matchValue(operand, actual, entities, path, root, false);
      return;
    case '$$exists':
      if ((actual !== undefined) !== operand) fail(path, `$$exists ${String(operand)}`);
      return;
    case '$$type': {
      const types = Array.isArray(operand) ? (operand as string[]) : [operand as string];
      if (actual === undefined || !typeMatches(types, actual)) {
        fail(path, `expected type ${types.join('|')}, got ${bsonTypeOf(actual)} ${describe(actual)}`);
      }
      return;
    }
    case '$$matchesEntity':
      matchValue(entities(String(operand)), actual, entities, path, root, false);
      return;
    case '$$matchesHexBytes': {
      const hex = String(operand);
      if (!/^([0-9a-fA-F]{2})*$/.test(hex)) throw new Error(`malformed $$matchesHexBytes ${hex}`);
      const actualBytes = bytesOf(actual);
      if (!actualBytes || actualBytes.toString('hex') !== hex.toLowerCase()) {
        fail(
          path,
          `expected bytes ${hex}, got ${actualBytes ? actualBytes.toString('hex') : describe(actual)}`,
        );
      }
      return;
    }
    default:
      throw new Error(`unsupported special operator ${operator} at ${path || '(root)'}`);
  }
}

/** Replaces `{ $$hexBytes: "..." }` in operation arguments with a Buffer. */
export function resolveArguments(value: unknown): unknown {
  const special = specialOperator(value);
  if (special && special[0] === '$$hexBytes') return Buffer.from(String(special[1]), 'hex');
  if (Array.isArray(value)) return value.map(resolveArguments);
  if (isPlainObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveArguments(v)]));
  }
  return value;
}
