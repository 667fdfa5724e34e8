// Docstore benchmark through the official driver, against the docstore CLI in a child process (so client and
// server each get a core, as in the appliance where the app and the embedded store share the machine).
//   npm run bench:docstore                      full run (1M messages, 200 MB file)
//   node packages/docstore/dist/bench/docstore.bench.js --messages 200000 --file-mb 50   a quicker run
//   ... --only inserts,files            run only some parts (inserts, history, files)
//   ... --server-cpu-prof DIR           run the server under `node --cpu-prof`, profile written to DIR on exit
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, open, rm, stat } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import * as hdr from 'hdr-histogram-js';
import { GridFSBucket, MongoClient, ObjectId } from 'mongodb';

const { values: args } = parseArgs({
  options: {
    messages: { type: 'string', default: '1000000' },
    'file-mb': { type: 'string', default: '200' },
    'insert-seconds': { type: 'string', default: '10' },
    queries: { type: 'string', default: '5000' },
    only: { type: 'string', default: 'inserts,history,files' },
    'server-cpu-prof': { type: 'string' },
  },
});
const MESSAGES = Number(args.messages);
const FILE_MB = Number(args['file-mb']);
const INSERT_SECONDS = Number(args['insert-seconds']);
const QUERIES = Number(args.queries);
const PARTS = new Set(args.only.split(','));
for (const part of PARTS) {
  if (!['inserts', 'history', 'files'].includes(part))
    throw new Error(`--only takes inserts, history, files; got ${part}`);
}
const IN_FLIGHT = 32;
const ROOMS = 100;
const PIECE = 255 * 1024; // GridFS default chunk size; raw fs writes use the same piece size

interface Row {
  metric: string;
  value: string;
  target: string;
  met: string;
}

/** Starts a server script (the docstore CLI or the null server) as a child process; resolves with its URI. */
async function startServer(script: string, argv: string[]): Promise<{ child: ChildProcess; uri: string }> {
  const profile = args['server-cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', args['server-cpu-prof']] : [];
  const child = spawn(process.execPath, [...profile, join(__dirname, script), ...argv], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`${script} did not start within 15 s`)), 15_000);
    child.once('exit', (code) => fail(new Error(`${script} exited with ${code}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const found = /mongodb:\/\/[^:/\s]+:(\d+)/.exec(line);
      if (found && Number(found[1]) > 0) {
        clearTimeout(timer);
        done(Number(found[1]));
      }
    });
  });
  return { child, uri: `mongodb://127.0.0.1:${port}` };
}

async function stopServer(server: { child: ChildProcess }): Promise<void> {
  if (server.child.exitCode !== null) return;
  const exited = new Promise((r) => server.child.once('exit', r));
  server.child.kill('SIGTERM');
  await exited;
}

function messageDoc(i: number) {
  return {
    roomId: `room-${i % ROOMS}`,
    authorId: `user-${i % 977}`,
    body: `message number ${i}: the quick brown fox jumps over the lazy dog`,
    createdAt: new Date(),
  };
}

async function measureInserts(client: MongoClient): Promise<number> {
  const coll = client.db('bench').collection('inserts');
  await coll.createIndex({ roomId: 1, _id: -1 });
  let i = 0;
  let counting = false;
  let counted = 0;
  let stop = false;
  const worker = async () => {
    while (!stop) {
      await coll.insertOne({ _id: new ObjectId(), ...messageDoc(i++) });
      if (counting) counted++;
    }
  };
  const workers = Array.from({ length: IN_FLIGHT }, worker);
  await new Promise((r) => setTimeout(r, 1000)); // warm-up
  counting = true;
  const started = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, INSERT_SECONDS * 1000));
  counting = false;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  stop = true;
  await Promise.all(workers);
  return counted / seconds;
}

async function loadHistory(client: MongoClient): Promise<number> {
  const coll = client.db('bench').collection('messages');
  await coll.createIndex({ roomId: 1, _id: -1 });
  const batch = 1000;
  const started = Date.now();
  let next = 0;
  let done = 0;
  let lastReport = 0;
  const loader = async () => {
    while (next < MESSAGES) {
      const from = next;
      next = Math.min(MESSAGES, next + batch);
      const docs = [];
      for (let i = from; i < next; i++) docs.push({ _id: new ObjectId(), ...messageDoc(i) });
      await coll.insertMany(docs, { ordered: false });
      done += docs.length;
      if (done - lastReport >= 100_000 || done === MESSAGES) {
        lastReport = done;
        const rate = Math.round(done / ((Date.now() - started) / 1000));
        console.log(
          `  loaded ${done.toLocaleString('en')} / ${MESSAGES.toLocaleString('en')} messages (${rate}/s)`,
        );
      }
    }
  };
  await Promise.all(Array.from({ length: 4 }, loader));
  return done / ((Date.now() - started) / 1000);
}

async function measureHistory(client: MongoClient): Promise<{ p50: number; p99: number; max: number }> {
  const coll = client.db('bench').collection('messages');
  const histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000,
    numberOfSignificantValueDigits: 3,
  });
  const page = async (room: number) => {
    const docs = await coll
      .find({ roomId: `room-${room}` })
      .sort({ _id: -1 })
      .limit(50)
      .toArray();
    if (docs.length !== Math.min(50, Math.ceil(MESSAGES / ROOMS)))
      throw new Error(`history page had ${docs.length}`);
  };
  for (let q = 0; q < 200; q++) await page(q % ROOMS); // warm-up
  for (let q = 0; q < QUERIES; q++) {
    const started = process.hrtime.bigint();
    await page(Math.floor(Math.random() * ROOMS));
    histogram.recordValue(Number((process.hrtime.bigint() - started) / 1000n));
  }
  const result = {
    p50: histogram.getValueAtPercentile(50) / 1000,
    p99: histogram.getValueAtPercentile(99) / 1000,
    max: histogram.maxValue / 1000,
  };
  histogram.destroy();
  return result;
}

function pieces(data: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < data.length; at += PIECE) out.push(data.subarray(at, at + PIECE));
  return out;
}

async function drain(stream: NodeJS.ReadableStream): Promise<number> {
  let bytes = 0;
  for await (const chunk of stream) bytes += (chunk as Buffer).length;
  return bytes;
}

async function timed<T>(work: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const started = process.hrtime.bigint();
  const value = await work();
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, value };
}

/** GridFS upload of `data` in PIECE-sized writes; MB/s. */
async function gridFsWrite(
  client: MongoClient,
  data: Buffer,
): Promise<{ mbPerSecond: number; id: ObjectId }> {
  const bucket = new GridFSBucket(client.db('bench'));
  const upload = bucket.openUploadStream('bench.bin');
  const { seconds } = await timed(() => pipeline(Readable.from(pieces(data)), upload));
  return { mbPerSecond: data.length / (1024 * 1024) / seconds, id: upload.id };
}

async function measureFiles(client: MongoClient, scratch: string, data: Buffer) {
  const mb = data.length / (1024 * 1024);
  const rawPath = join(scratch, 'raw.bin');
  // Raw fs: stream the same pieces to a file and fsync, as LMDB commits durably too.
  const rawWrite = await timed(async () => {
    await pipeline(Readable.from(pieces(data)), createWriteStream(rawPath));
    const handle = await open(rawPath, 'r+');
    await handle.sync();
    await handle.close();
  });
  const rawRead = await timed(() => drain(createReadStream(rawPath, { highWaterMark: PIECE })));
  if (rawRead.value !== data.length || (await stat(rawPath)).size !== data.length)
    throw new Error('raw size mismatch');

  const gridWrite = await gridFsWrite(client, data);
  const bucket = new GridFSBucket(client.db('bench'));
  const gridRead = await timed(() => drain(bucket.openDownloadStream(gridWrite.id)));
  if (gridRead.value !== data.length)
    throw new Error(`GridFS read ${gridRead.value} bytes of ${data.length}`);
  return {
    mb,
    rawWrite: mb / rawWrite.seconds,
    rawRead: mb / rawRead.seconds,
    gridWrite: gridWrite.mbPerSecond,
    gridRead: mb / gridRead.seconds,
  };
}

function table(rows: Row[]): string {
  const lines = ['| metric | result | target | met |', '| --- | ---: | --- | --- |'];
  for (const r of rows) lines.push(`| ${r.metric} | ${r.value} | ${r.target} | ${r.met} |`);
  return lines.join('\n');
}

async function main(): Promise<void> {
  const scratch = await mkdtemp(join(tmpdir(), 'palaver-docstore-bench-'));
  const dbPath = join(scratch, 'db');
  await mkdir(dbPath);
  const server = await startServer(join('..', 'src', 'cli.js'), [
    ...['--dbpath', dbPath, '--port', '0', '--bind', '127.0.0.1'],
  ]);
  const client = new MongoClient(server.uri, { maxPoolSize: IN_FLIGHT + 4 });
  const nullServer = await startServer('null-server.js', []);
  const nullClient = new MongoClient(nullServer.uri, { maxPoolSize: IN_FLIGHT + 4 });
  try {
    await client.connect();
    const build = await client.db('admin').command({ buildInfo: 1 });
    console.log(
      `docstore ${build.version} at ${server.uri}; node ${process.version}; ${cpus().length} × ${cpus()[0]?.model}`,
    );

    const rows: Row[] = [];
    if (PARTS.has('inserts')) {
      console.log(`inserts: ${IN_FLIGHT} in flight for ${INSERT_SECONDS} s, null server then docstore ...`);
      const nullInserts = await measureInserts(nullClient);
      const insertsPerSecond = await measureInserts(client);
      console.log(`  ${Math.round(insertsPerSecond)} inserts/s (null server ${Math.round(nullInserts)})`);
      rows.push({
        metric: `inserts/s against the null server (driver ceiling)`,
        value: Math.round(nullInserts).toLocaleString('en'),
        target: '-',
        met: '-',
      });
      rows.push({
        metric: `inserts/s (insertOne, ${IN_FLIGHT} in flight)`,
        value: Math.round(insertsPerSecond).toLocaleString('en'),
        target: '≥ 15,000',
        met: insertsPerSecond >= 15_000 ? 'yes' : 'no',
      });
    }

    if (PARTS.has('history')) {
      console.log(
        `history: loading ${MESSAGES.toLocaleString('en')} messages in ${ROOMS} rooms (insertMany ×1000, 4 in flight) ...`,
      );
      const loadRate = await loadHistory(client);
      console.log(`history: ${QUERIES} pages of the 50 newest messages of a random room ...`);
      const history = await measureHistory(client);
      const explain = await client
        .db('bench')
        .collection('messages')
        .find({ roomId: 'room-1' })
        .sort({ _id: -1 })
        .limit(50)
        .explain();
      const plan = JSON.stringify(explain.queryPlanner?.winningPlan ?? explain).slice(0, 200);
      console.log(
        `  p50 ${history.p50.toFixed(2)} ms, p99 ${history.p99.toFixed(2)} ms, max ${history.max.toFixed(2)} ms; plan ${plan}`,
      );
      rows.push(
        {
          metric: `bulk load (insertMany ×1000, 4 in flight) docs/s`,
          value: Math.round(loadRate).toLocaleString('en'),
          target: '-',
          met: '-',
        },
        {
          metric: `history page p50 at ${MESSAGES.toLocaleString('en')} messages`,
          value: `${history.p50.toFixed(2)} ms`,
          target: '-',
          met: '-',
        },
        {
          metric: `history page p99 at ${MESSAGES.toLocaleString('en')} messages`,
          value: `${history.p99.toFixed(2)} ms`,
          target: '< 5 ms',
          met: history.p99 < 5 ? 'yes' : 'no',
        },
      );
    }

    if (PARTS.has('files')) {
      console.log(`files: ${FILE_MB} MB through raw fs, GridFS to the null server, GridFS ...`);
      const data = randomBytes(FILE_MB * 1024 * 1024);
      const nullWrite = await gridFsWrite(nullClient, data);
      const files = await measureFiles(client, scratch, data);
      const ratio = files.gridWrite / files.rawWrite;
      rows.push(
        {
          metric: `GridFS write ${FILE_MB} MB to the null server (driver ceiling)`,
          value: `${nullWrite.mbPerSecond.toFixed(0)} MB/s`,
          target: '-',
          met: '-',
        },
        {
          metric: `GridFS write ${FILE_MB} MB`,
          value: `${files.gridWrite.toFixed(0)} MB/s`,
          target: '≥ 0.5 × raw fs',
          met: ratio >= 0.5 ? 'yes' : 'no',
        },
        {
          metric: `raw fs write ${FILE_MB} MB (+fsync)`,
          value: `${files.rawWrite.toFixed(0)} MB/s`,
          target: '-',
          met: '-',
        },
        {
          metric: 'GridFS write / raw fs write',
          value: `${ratio.toFixed(2)}×`,
          target: '≥ 0.5×',
          met: ratio >= 0.5 ? 'yes' : 'no',
        },
        {
          metric: `GridFS read ${FILE_MB} MB`,
          value: `${files.gridRead.toFixed(0)} MB/s`,
          target: '-',
          met: '-',
        },
        {
          metric: `raw fs read ${FILE_MB} MB`,
          value: `${files.rawRead.toFixed(0)} MB/s`,
          target: '-',
          met: '-',
        },
        {
          metric: 'GridFS read / raw fs read',
          value: `${(files.gridRead / files.rawRead).toFixed(2)}×`,
          target: '-',
          met: '-',
        },
      );
    }
    console.log(`\n${table(rows)}\n`);
  } finally {
    await client.close();
    await nullClient.close();
    await stopServer(server);
    await stopServer(nullServer);
    await rm(scratch, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
