/**
 * MongoDB wire protocol framing: OP_QUERY (only for the legacy handshake), OP_MSG (everything else) and the
 * OP_REPLY / OP_MSG replies. Parsing never trusts lengths from the client: every offset is bounds-checked
 * and malformed input raises WireError, which the connection answers by closing.
 */
import { BSON, type Document } from 'bson';

export const OP_REPLY = 1;
export const OP_QUERY = 2004;
export const OP_COMPRESSED = 2012;
export const OP_MSG = 2013;

export const MSG_CHECKSUM_PRESENT = 1 << 0;
export const MSG_MORE_TO_COME = 1 << 1;

export const MAX_BSON_OBJECT_SIZE = 16 * 1024 * 1024;
export const MAX_MESSAGE_SIZE_BYTES = 48_000_000;
export const MAX_WRITE_BATCH_SIZE = 100_000;

export class WireError extends Error {}

export interface MessageHeader {
  messageLength: number;
  requestId: number;
  responseTo: number;
  opCode: number;
}

/** A document from a request together with its exact bytes, so inserts can store what the client sent. */
export interface RawDocument {
  doc: Document;
  raw: Buffer;
}

export interface CommandRequest {
  header: MessageHeader;
  opCode: typeof OP_MSG | typeof OP_QUERY;
  flags: number;
  body: Document;
  /** The body's exact bytes (to re-read values with their BSON number types when that matters). */
  bodyRaw: Buffer;
  /** Kind-1 document sequences by identifier (`documents`, `updates`, `deletes`). */
  sequences: Map<string, RawDocument[]>;
  /** For OP_QUERY: the namespace the query was sent to (`admin.$cmd`). */
  queryNamespace?: string;
}

const DESERIALIZE_OPTIONS = { validation: { utf8: false } } as const;

export function readHeader(buf: Buffer): MessageHeader {
  return {
    messageLength: buf.readInt32LE(0),
    requestId: buf.readInt32LE(4),
    responseTo: buf.readInt32LE(8),
    opCode: buf.readInt32LE(12),
  };
}

function readBsonAt(buf: Buffer, offset: number, end: number): RawDocument {
  if (offset + 5 > end) throw new WireError('truncated BSON document');
  const size = buf.readInt32LE(offset);
  if (size < 5 || offset + size > end) throw new WireError('invalid BSON document length');
  const raw = buf.subarray(offset, offset + size);
  let doc: Document;
  try {
    doc = BSON.deserialize(raw, DESERIALIZE_OPTIONS);
  } catch (err) {
    throw new WireError(`invalid BSON: ${(err as Error).message}`);
  }
  return { doc, raw };
}

function readCString(buf: Buffer, offset: number, end: number): [string, number] {
  const zero = buf.indexOf(0, offset);
  if (zero < 0 || zero >= end) throw new WireError('unterminated cstring');
  return [buf.toString('utf8', offset, zero), zero + 1];
}

/** Parses one complete frame (header included). */
export function parseRequest(frame: Buffer): CommandRequest {
  const header = readHeader(frame);
  const end = frame.length;
  if (header.opCode === OP_MSG) {
    const flags = frame.readUInt32LE(16);
    // Unknown required flag bits (0-15 other than checksum/moreToCome) must make the server reject.
    if (flags & 0xfffc) throw new WireError('unsupported OP_MSG flag bits');
    const sectionsEnd = flags & MSG_CHECKSUM_PRESENT ? end - 4 : end;
    let offset = 20;
    let body: Document | undefined;
    let bodyRaw: Buffer | undefined;
    const sequences = new Map<string, RawDocument[]>();
    while (offset < sectionsEnd) {
      const kind = frame[offset++];
      if (kind === 0) {
        if (body) throw new WireError('OP_MSG has more than one body section');
        const { doc, raw } = readBsonAt(frame, offset, sectionsEnd);
        body = doc;
        bodyRaw = raw;
        offset += raw.length;
      } else if (kind === 1) {
        if (offset + 4 > sectionsEnd) throw new WireError('truncated document sequence');
        const size = frame.readInt32LE(offset);
        const seqEnd = offset + size;
        if (size < 5 || seqEnd > sectionsEnd) throw new WireError('invalid document sequence length');
        const [identifier, docsStart] = readCString(frame, offset + 4, seqEnd);
        const docs: RawDocument[] = [];
        let p = docsStart;
        while (p < seqEnd) {
          const d = readBsonAt(frame, p, seqEnd);
          docs.push(d);
          p += d.raw.length;
        }
        sequences.set(identifier, docs);
        offset = seqEnd;
      } else {
        throw new WireError(`unknown OP_MSG section kind ${kind}`);
      }
    }
    if (!body || !bodyRaw) throw new WireError('OP_MSG without body section');
    return { header, opCode: OP_MSG, flags, body, bodyRaw, sequences };
  }
  if (header.opCode === OP_QUERY) {
    if (end < 20 + 1 + 8) throw new WireError('truncated OP_QUERY');
    const flags = frame.readInt32LE(16);
    const [ns, afterNs] = readCString(frame, 20, end);
    const { doc, raw } = readBsonAt(frame, afterNs + 8, end);
    return {
      header,
      opCode: OP_QUERY,
      flags,
      body: doc,
      bodyRaw: raw,
      sequences: new Map(),
      queryNamespace: ns,
    };
  }
  throw new WireError(`unsupported opcode ${header.opCode}`);
}

/**
 * A reply body serialized as consecutive pieces (large stored documents are referenced, not copied into
 * one buffer); `length` is their total size.
 */
export class ReplyParts {
  constructor(
    readonly parts: Buffer[],
    readonly length: number,
  ) {}
}

/** Bodies up to this size are copied behind the header, so a small reply is one buffer and one write. */
const INLINE_BODY_BYTES = 16 * 1024;

function frame(
  requestId: number,
  responseTo: number,
  opCode: number,
  fields: Buffer,
  body: Buffer | ReplyParts,
): Buffer[] {
  const length = 16 + fields.length + body.length;
  const inline = Buffer.isBuffer(body) && body.length <= INLINE_BODY_BYTES;
  const head = Buffer.allocUnsafe(16 + fields.length + (inline ? body.length : 0));
  head.writeInt32LE(length, 0);
  head.writeInt32LE(requestId, 4);
  head.writeInt32LE(responseTo, 8);
  head.writeInt32LE(opCode, 12);
  fields.copy(head, 16);
  if (inline) {
    body.copy(head, 16 + fields.length);
    return [head];
  }
  return Buffer.isBuffer(body) ? [head, body] : [head, ...body.parts];
}

const MSG_FIELDS = Buffer.from([0, 0, 0, 0, 0]); // flagBits 0, section kind 0

/** OP_MSG reply with one kind-0 section holding an already serialized body. */
export function buildMsgReply(requestId: number, responseTo: number, body: Buffer | ReplyParts): Buffer[] {
  return frame(requestId, responseTo, OP_MSG, MSG_FIELDS, body);
}

// responseFlags AwaitCapable (8), cursorId 0, startingFrom 0, numberReturned 1
const OP_REPLY_FIELDS = Buffer.from([8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0]);

export function buildOpReply(requestId: number, responseTo: number, body: Buffer | ReplyParts): Buffer[] {
  return frame(requestId, responseTo, OP_REPLY, OP_REPLY_FIELDS, body);
}
