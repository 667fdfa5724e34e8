// Throws thousands of hostile frames at a docstore child process over raw TCP, then checks that it still
// answers through the official driver and that what was stored before is unchanged. The PRNG is seeded;
// rerun a failing case with FUZZ_SEED=<printed seed>.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { rm } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { serialize, type Document } from 'bson';
import { MongoClient } from 'mongodb';
import { makeTempDir, spawnDocstoreCli, type DocstoreChild } from './support/docstore-harness';

const FRAMES = Number(process.env.FUZZ_FRAMES ?? 3000);
const CONCURRENCY = 8;
const OP_REPLY = 1;
const OP_QUERY = 2004;
const OP_MSG = 2013;

/** mulberry32: a tiny seeded PRNG so a failing run can be replayed exactly. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class FrameFactory {
  private requestId = 1;
  constructor(private readonly random: () => number) {}

  int(maxExclusive: number): number {
    return Math.floor(this.random() * maxExclusive);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
  bytes(n: number): Buffer {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }

  header(length: number, opCode: number): Buffer {
    const h = Buffer.alloc(16);
    h.writeInt32LE(length, 0);
    h.writeInt32LE(this.requestId++, 4);
    h.writeInt32LE(0, 8);
    h.writeInt32LE(opCode, 12);
    return h;
  }

  /** A well-formed OP_MSG with one kind-0 body and optionally a kind-1 document sequence. */
  opMsg(body: Document, sequence?: { id: string; docs: Document[] }, flags = 0): Buffer {
    const parts: Buffer[] = [Buffer.from([0]), Buffer.from(serialize(body))];
    if (sequence) {
      const docs = Buffer.concat(sequence.docs.map((d) => serialize(d)));
      const id = Buffer.from(`${sequence.id}\0`, 'utf8');
      const size = Buffer.alloc(4);
      size.writeInt32LE(4 + id.length + docs.length);
      parts.push(Buffer.from([1]), size, id, docs);
    }
    const flagBits = Buffer.alloc(4);
    flagBits.writeUInt32LE(flags >>> 0);
    const payload = Buffer.concat([flagBits, ...parts]);
    return Buffer.concat([this.header(16 + payload.length, OP_MSG), payload]);
  }

  opQuery(collection: string, query: Document): Buffer {
    const name = Buffer.from(`${collection}\0`, 'utf8');
    const fixed = Buffer.alloc(4);
    const skipReturn = Buffer.alloc(8);
    skipReturn.writeInt32LE(-1, 4);
    const payload = Buffer.concat([fixed, name, skipReturn, serialize(query)]);
    return Buffer.concat([this.header(16 + payload.length, OP_QUERY), payload]);
  }

  randomValue(depth = 0): unknown {
    switch (this.int(depth > 2 ? 5 : 8)) {
      case 0:
        return this.int(1000) - 500;
      case 1:
        return this.bytes(this.int(12)).toString('latin1');
      case 2:
        return this.random() < 0.5;
      case 3:
        return null;
      case 4:
        return this.random() * 1e6;
      case 5:
        return Array.from({ length: this.int(4) }, () => this.randomValue(depth + 1));
      default:
        return this.randomDocument(depth + 1);
    }
  }
  randomDocument(depth = 0): Document {
    const keys = ['$set', '$gt', 'a', 'b.c', '$where', 'q', 'u', '_id', '$in', 'limit', '', '$$x'];
    const doc: Document = {};
    for (let i = this.int(4); i > 0; i--) doc[this.pick(keys)] = this.randomValue(depth);
    return doc;
  }

  validCommand(): Document {
    const commands = [
      'ping',
      'find',
      'insert',
      'update',
      'delete',
      'aggregate',
      'getMore',
      'killCursors',
      'count',
      'distinct',
      'createIndexes',
      'listCollections',
      'drop',
      'findAndModify',
      'noSuchCommand',
      'hello',
      'isMaster',
    ];
    const name = this.pick(commands);
    const body: Document = { [name]: this.random() < 0.7 ? 'scratch' : this.randomValue() };
    for (let i = this.int(4); i > 0; i--) {
      body[
        this.pick([
          'filter',
          'documents',
          'updates',
          'deletes',
          'pipeline',
          'limit',
          'batchSize',
          'indexes',
          'key',
          'query',
        ])
      ] = this.random() < 0.3 ? [this.randomDocument()] : this.randomValue();
    }
    body.$db = 'fuzz_scratch';
    return body;
  }

  /** One hostile frame, and a label saying what kind it is. */
  next(): { kind: string; frame: Buffer } {
    const valid = this.opMsg(this.validCommand());
    switch (this.int(9)) {
      case 0:
        return { kind: 'random bytes', frame: this.bytes(1 + this.int(600)) };
      case 1:
        return { kind: 'truncated frame', frame: valid.subarray(0, this.int(valid.length)) };
      case 2: {
        const frame = Buffer.from(valid);
        const lengths = [
          0,
          1,
          15,
          16,
          17,
          -1,
          -2147483648,
          2147483647,
          48_000_001,
          64 * 1024 * 1024,
          valid.length + 1 + this.int(100),
          Math.max(0, valid.length - 1 - this.int(10)),
        ];
        frame.writeInt32LE(this.pick(lengths), 0);
        return { kind: 'bad length header', frame };
      }
      case 3: {
        const frame = Buffer.from(valid);
        frame.writeInt32LE(this.pick([0, 1, 2001, 2002, 2005, 2010, 2012, 2014, -1, this.int(1 << 30)]), 12);
        return { kind: 'bad opcode', frame };
      }
      case 4: {
        // Corrupt bytes inside the BSON body (after header 16 + flags 4 + kind 1).
        const frame = Buffer.from(valid);
        for (let i = 1 + this.int(4); i > 0; i--) frame[21 + this.int(frame.length - 21)] = this.int(256);
        return { kind: 'malformed BSON body', frame };
      }
      case 5: {
        const frame = Buffer.from(valid);
        const lengthAt = 21;
        frame.writeInt32LE(
          this.pick([0, 4, 5, -7, 1 << 30, frame.readInt32LE(lengthAt) + 1 + this.int(50)]),
          lengthAt,
        );
        return { kind: 'BSON length lies', frame };
      }
      case 6: {
        const seq = this.opMsg(
          { insert: 'scratch', $db: 'fuzz_scratch' },
          { id: 'documents', docs: [this.randomDocument(), this.randomDocument()] },
        );
        const frame = Buffer.from(seq);
        const target = this.pick(['section kind', 'sequence size', 'flags']);
        const bodyEnd = 21 + frame.readInt32LE(21);
        if (target === 'section kind') frame[bodyEnd] = this.pick([2, 3, 255]);
        else if (target === 'sequence size')
          frame.writeInt32LE(this.pick([0, 3, -1, 1 << 29, 99999]), bodyEnd + 1);
        else frame.writeUInt32LE(this.pick([1, 2, 0xffffffff, 1 << 16]), 16); // checksum w/o checksum, moreToCome, unknown bits
        return { kind: `bad OP_MSG ${target}`, frame };
      }
      case 7: {
        const query = this.opQuery(
          this.pick(['admin.$cmd', 'x', '', 'fuzz_scratch.scratch']),
          this.randomDocument(),
        );
        const frame = Buffer.from(query);
        if (this.random() < 0.5) frame[20 + this.int(frame.length - 20)] = this.int(256);
        return { kind: 'OP_QUERY', frame };
      }
      default:
        return { kind: 'random valid-shaped command', frame: valid };
    }
  }
}

interface Exchange {
  replied: boolean;
  closedByServer: boolean;
  timedOut: boolean;
}

/** Sends `frame`, optionally half-closes, and waits (bounded) until the server closes or the timer fires. */
function exchange(port: number, frame: Buffer, endAfterWrite: boolean, timeoutMs: number): Promise<Exchange> {
  return new Promise((done) => {
    const result: Exchange = { replied: false, closedByServer: false, timedOut: false };
    const socket = connect({ port, host: '127.0.0.1' });
    const timer = setTimeout(() => {
      result.timedOut = true;
      socket.destroy();
    }, timeoutMs);
    socket.on('connect', () => {
      socket.write(frame);
      if (endAfterWrite) socket.end();
    });
    socket.on('data', () => {
      result.replied = true;
    });
    socket.on('end', () => {
      result.closedByServer = true;
    });
    socket.on('error', () => {
      result.closedByServer = true;
    });
    socket.on('close', () => {
      clearTimeout(timer);
      done(result);
    });
  });
}

/** Sends `frame` and collects one whole reply frame, or notes that the server hung up; bounded by a timer. */
async function readReplyTo(
  port: number,
  frame: Buffer,
  timeoutMs: number,
): Promise<{ reply?: Buffer; closedByServer: boolean }> {
  return new Promise((done) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let received = Buffer.alloc(0);
    let closedByServer = false;
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      const whole = received.length >= 16 && received.length >= received.readInt32LE(0);
      done({ reply: whole ? received : undefined, closedByServer });
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.on('connect', () => socket.write(frame));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length >= 16 && received.length >= received.readInt32LE(0)) finish();
    });
    socket.on('end', () => (closedByServer = true));
    socket.on('error', () => (closedByServer = true));
    socket.on('close', () => {
      closedByServer = true;
      finish();
    });
  });
}

describe('docstore under hostile wire-protocol input', () => {
  const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
  let dbPath: string;
  let server: DocstoreChild;
  let client: MongoClient;
  const kept = Array.from({ length: 300 }, (_v, i) => ({
    _id: i,
    roomId: `room-${i % 7}`,
    body: `message ${i} ${'x'.repeat(i % 50)}`,
    at: new Date(1_700_000_000_000 + i * 1000),
  }));

  before(async () => {
    console.log(`fuzz seed ${seed} (replay with FUZZ_SEED=${seed}), ${FRAMES} frames`);
    dbPath = await makeTempDir('fuzz');
    server = await spawnDocstoreCli(dbPath);
    client = new MongoClient(server.uri, { serverSelectionTimeoutMS: 5000 });
    await client.connect();
    const keep = client.db('fuzz_keep').collection<{ _id: number }>('messages');
    await keep.insertMany(kept);
    await keep.createIndex({ roomId: 1, _id: -1 });
  });

  after(async () => {
    await client?.close();
    if (server && server.child.exitCode === null && server.child.signalCode === null) {
      server.child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([server.exited, new Promise((r) => (timer = setTimeout(r, 5000)))]);
      clearTimeout(timer);
      if (server.child.exitCode === null) server.child.kill('SIGKILL');
    }
    if (dbPath) await rm(dbPath, { recursive: true, force: true });
  });

  test(`thousands of random, truncated, oversized, bad-opcode and malformed-BSON frames never take the server down`, async () => {
    const factory = new FrameFactory(prng(seed));
    const kinds = new Map<string, { sent: number; replied: number; timedOut: number }>();
    let sent = 0;
    const worker = async () => {
      while (sent < FRAMES) {
        sent++;
        const { kind, frame } = factory.next();
        const result = await exchange(server.port, frame, true, 5000);
        const stats = kinds.get(kind) ?? { sent: 0, replied: 0, timedOut: 0 };
        stats.sent++;
        if (result.replied) stats.replied++;
        if (result.timedOut) stats.timedOut++;
        kinds.set(kind, stats);
        assert.equal(server.child.exitCode, null, `server exited after a "${kind}" frame (seed ${seed})`);
        assert.equal(
          server.child.signalCode,
          null,
          `server killed by signal after a "${kind}" frame (seed ${seed})`,
        );
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    console.log(
      [...kinds]
        .map(([kind, s]) => `  ${kind}: ${s.sent} sent, ${s.replied} answered, ${s.timedOut} left hanging`)
        .join('\n'),
    );
    const ping = await client.db('admin').command({ ping: 1 });
    assert.equal(ping.ok, 1);
    // Bad input must be answered or refused, never reach the server's internal-error path (a bug).
    assert.doesNotMatch(server.stderr(), /internal error/i, `seed ${seed}`);
  });

  test('a frame announcing more than maxMessageSizeBytes is refused without waiting for its body', async () => {
    const factory = new FrameFactory(prng(seed + 1));
    const hello = await client.db('admin').command({ hello: 1 });
    const max = Number(hello.maxMessageSizeBytes ?? 48_000_000);
    const frame = Buffer.from(factory.opMsg({ ping: 1, $db: 'admin' }));
    frame.writeInt32LE(max + 1, 0);
    // The connection stays open on our side: the server must answer or hang up by itself.
    const results = await Promise.all(
      Array.from({ length: 10 }, () => exchange(server.port, frame, false, 3000)),
    );
    for (const r of results)
      assert.ok(r.closedByServer || r.replied, `oversized frame neither answered nor closed`);
  });

  test('an unknown opcode with a well-formed header is answered with an error or a closed connection', async () => {
    const factory = new FrameFactory(prng(seed + 2));
    const frame = Buffer.from(factory.opMsg({ ping: 1, $db: 'admin' }));
    frame.writeInt32LE(2012, 12); // OP_COMPRESSED: never advertised, so never accepted
    const { reply, closedByServer } = await readReplyTo(server.port, frame, 3000);
    assert.ok(reply || closedByServer, 'neither answered nor closed within 3 s');
    if (reply)
      assert.ok([OP_MSG, OP_REPLY].includes(reply.readInt32LE(12)), 'reply is an OP_MSG or OP_REPLY');
  });

  test('after the onslaught the server answers ping and every stored document and index is intact', async () => {
    const admin = client.db('admin');
    assert.equal((await admin.command({ ping: 1 })).ok, 1);
    const keep = client.db('fuzz_keep').collection<{ _id: number }>('messages');
    const stored = await keep.find({}, { sort: { _id: 1 } }).toArray();
    assert.deepEqual(stored, kept);
    const indexes = await keep.listIndexes().toArray();
    assert.ok(indexes.some((ix) => JSON.stringify(ix.key) === JSON.stringify({ roomId: 1, _id: -1 })));
    // Still writable, and a fresh client can connect.
    const fresh = new MongoClient(server.uri, { serverSelectionTimeoutMS: 5000 });
    try {
      await fresh.connect();
      await fresh.db('fuzz_keep').collection('after').insertOne({ ok: true });
      assert.equal(await fresh.db('fuzz_keep').collection('after').countDocuments(), 1);
    } finally {
      await fresh.close();
    }
  });
});
