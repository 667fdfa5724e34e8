/**
 * Order-preserving binary encoding of BSON values, so that LMDB's byte-wise key order equals MongoDB's
 * BSON order. Used for `_id` keys of documents and for secondary index keys, which lets range scans do
 * equality, ranges, sort and limit without loading the collection.
 *
 * Each value starts with a tag byte in BSON type order; variable-length parts are escaped and terminated so
 * no encoding is a prefix of another, which keeps descending components (all bytes inverted) ordered too.
 */
import type { Binary, ObjectId, Timestamp } from 'bson';
import { TypeRank, toNumber, typeRank } from './bson-order';

const TAG: Record<TypeRank, number> = {
  [TypeRank.MinKey]: 0x10,
  [TypeRank.Null]: 0x20,
  [TypeRank.Number]: 0x30,
  [TypeRank.String]: 0x40,
  [TypeRank.Object]: 0x50,
  [TypeRank.Array]: 0x60,
  [TypeRank.Binary]: 0x70,
  [TypeRank.ObjectId]: 0x80,
  [TypeRank.Boolean]: 0x90,
  [TypeRank.Date]: 0xa0,
  [TypeRank.Timestamp]: 0xb0,
  [TypeRank.RegExp]: 0xc0,
  [TypeRank.MaxKey]: 0xf0,
};
/** Ends an object or array; lower than every tag. */
const END = 0x01;

export const NULL_TAG = TAG[TypeRank.Null];
export const NUMBER_TAG = TAG[TypeRank.Number];

class ByteWriter {
  private buf = Buffer.allocUnsafe(64);
  length = 0;

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.length++] = b;
  }

  bytes(src: Uint8Array): void {
    this.ensure(src.length);
    this.buf.set(src, this.length);
    this.length += src.length;
  }

  /** Bytes with 0x00 escaped as 0x00 0xFF, terminated by 0x00 0x00. */
  escaped(src: Uint8Array): void {
    this.ensure(src.length * 2 + 2);
    for (const b of src) {
      this.buf[this.length++] = b;
      if (b === 0) this.buf[this.length++] = 0xff;
    }
    this.buf[this.length++] = 0;
    this.buf[this.length++] = 0;
  }

  double(n: number): void {
    this.ensure(8);
    const v = Number.isNaN(n) ? Number.NaN : n === 0 ? 0 : n; // -0 sorts equal to 0
    this.buf.writeDoubleBE(v, this.length);
    // Flip the sign bit for positives and all bits for negatives: IEEE order becomes byte order.
    if (this.buf[this.length] & 0x80) {
      for (let i = 0; i < 8; i++) this.buf[this.length + i] ^= 0xff;
    } else {
      this.buf[this.length] ^= 0x80;
    }
    if (Number.isNaN(n)) this.buf.fill(0, this.length, this.length + 8); // NaN below every number
    this.length += 8;
  }

  invertFrom(start: number): void {
    for (let i = start; i < this.length; i++) this.buf[i] ^= 0xff;
  }

  result(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.length));
  }
}

function writeValue(w: ByteWriter, value: unknown): void {
  const rank = typeRank(value);
  w.byte(TAG[rank]);
  switch (rank) {
    case TypeRank.Null:
    case TypeRank.MinKey:
    case TypeRank.MaxKey:
      return;
    case TypeRank.Number:
      w.double(toNumber(value));
      return;
    case TypeRank.String:
      w.escaped(Buffer.from(String(value), 'utf8'));
      return;
    case TypeRank.Boolean:
      w.byte(value ? 1 : 0);
      return;
    case TypeRank.Date: {
      const b = Buffer.allocUnsafe(8);
      b.writeBigUInt64BE(BigInt.asUintN(64, BigInt((value as Date).getTime())) ^ (1n << 63n));
      w.bytes(b);
      return;
    }
    case TypeRank.ObjectId:
      w.bytes((value as ObjectId).id);
      return;
    case TypeRank.Timestamp: {
      const ts = value as Timestamp;
      const b = Buffer.allocUnsafe(8);
      b.writeUInt32BE(ts.high >>> 0, 0);
      b.writeUInt32BE(ts.low >>> 0, 4);
      w.bytes(b);
      return;
    }
    case TypeRank.Binary: {
      const bytes =
        value instanceof Uint8Array
          ? value
          : (value as Binary).buffer.subarray(0, (value as Binary).position);
      const subtype = value instanceof Uint8Array ? 0 : (value as Binary).sub_type;
      const b = Buffer.allocUnsafe(5);
      b.writeUInt32BE(bytes.length, 0);
      b[4] = subtype;
      w.bytes(b);
      w.bytes(bytes);
      return;
    }
    case TypeRank.RegExp: {
      const [source, flags] =
        value instanceof RegExp
          ? [value.source, value.flags]
          : [(value as { pattern: string }).pattern, (value as { options: string }).options];
      w.escaped(Buffer.from(source, 'utf8'));
      w.escaped(Buffer.from(flags, 'utf8'));
      return;
    }
    case TypeRank.Array:
      for (const item of value as unknown[]) writeValue(w, item);
      w.byte(END);
      return;
    default:
      for (const [k, v] of Object.entries(value as object)) {
        w.byte(TAG[typeRank(v)]);
        w.escaped(Buffer.from(k, 'utf8'));
        writeValue(w, v);
      }
      w.byte(END);
      return;
  }
}

/** Encodes one value (an `_id`). */
export function encodeValue(value: unknown): Buffer {
  const w = new ByteWriter();
  writeValue(w, value);
  return w.result();
}

/** Encodes a compound key; components with direction -1 are inverted so they sort descending. */
export function encodeCompound(values: readonly unknown[], directions: readonly (1 | -1)[]): Buffer {
  const w = new ByteWriter();
  for (let i = 0; i < values.length; i++) {
    const start = w.length;
    writeValue(w, values[i]);
    if (directions[i] === -1) w.invertFrom(start);
  }
  return w.result();
}

/** Encodes the bare tag of a type: the lowest key of that type (for type-bracketed range bounds). */
export function encodeTypeFloor(rank: TypeRank, direction: 1 | -1): Buffer {
  const b = Buffer.from([TAG[rank]]);
  if (direction === -1) b[0] ^= 0xff;
  return b;
}

export function tagOf(rank: TypeRank): number {
  return TAG[rank];
}

/** Smallest buffer strictly greater than every key that starts with `prefix`. */
export function prefixEnd(prefix: Buffer): Buffer {
  const out = Buffer.from(prefix);
  for (let i = out.length - 1; i >= 0; i--) {
    if (out[i] !== 0xff) {
      out[i]++;
      return out.subarray(0, i + 1);
    }
  }
  return Buffer.concat([prefix, Buffer.from([0xff, 0xff, 0xff, 0xff])]);
}
