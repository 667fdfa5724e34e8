// Durability of the docstore CLI as a separate process: an acknowledged write must survive kill -9, and
// collections' indexes (with their options) must survive a restart.
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, describe, test } from 'node:test';
import { MongoClient, ObjectId, type Document } from 'mongodb';
import { makeTempDir, spawnDocstoreCli, type DocstoreChild } from './support/docstore-harness';

const IN_FLIGHT = 48;
const KILL_AFTER_ACKS = 3000;

function clientFor(server: DocstoreChild): MongoClient {
  // No retries: after the kill every in-flight write must fail fast rather than wait for a new server.
  return new MongoClient(server.uri, {
    serverSelectionTimeoutMS: 3000,
    retryWrites: false,
    retryReads: false,
    maxPoolSize: IN_FLIGHT + 4,
  });
}

async function stop(server: DocstoreChild | undefined): Promise<void> {
  if (!server || server.child.exitCode !== null || server.child.signalCode !== null) return;
  server.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    server.exited,
    new Promise((r) => (timer = setTimeout(() => r(undefined), 10_000))),
  ]).finally(() => clearTimeout(timer));
  if (!outcome) {
    server.child.kill('SIGKILL');
    await server.exited;
  }
}

function keyOf(index: Document): string {
  return JSON.stringify(index.key);
}

describe('docstore durability across process death', () => {
  const dirs: string[] = [];
  const servers: DocstoreChild[] = [];
  const clients: MongoClient[] = [];

  async function launch(dbPath: string): Promise<{ server: DocstoreChild; client: MongoClient }> {
    const server = await spawnDocstoreCli(dbPath);
    servers.push(server);
    const client = clientFor(server);
    clients.push(client);
    await client.connect();
    return { server, client };
  }

  after(async () => {
    for (const c of clients) await c.close(true).catch(() => undefined);
    for (const s of servers) await stop(s);
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  test('every insert acknowledged before kill -9 is present after a restart on the same dbpath', async () => {
    const dbPath = await makeTempDir('durability');
    dirs.push(dbPath);
    const first = await launch(dbPath);
    const coll = first.client.db('durable').collection('messages');
    await coll.createIndex({ seq: 1 }, { unique: true });

    const acknowledged: ObjectId[] = [];
    let seq = 0;
    let killed = false;
    let failuresAfterKill = 0;
    const payload = 'p'.repeat(200);
    let killNow!: () => void;
    const killSignal = new Promise<void>((resolve) => (killNow = resolve));

    const writer = async (worker: number) => {
      while (!killed) {
        try {
          if (worker % 4 === 0) {
            // Batches too: each document of an acknowledged insertMany must be there.
            const docs = Array.from({ length: 10 }, () => ({
              _id: new ObjectId(),
              seq: seq++,
              worker,
              payload,
            }));
            await coll.insertMany(docs, { ordered: true });
            acknowledged.push(...docs.map((d) => d._id));
          } else {
            const doc = { _id: new ObjectId(), seq: seq++, worker, payload };
            await coll.insertOne(doc);
            acknowledged.push(doc._id);
          }
          if (acknowledged.length >= KILL_AFTER_ACKS) killNow();
        } catch {
          if (!killed) throw new Error('an insert failed before the kill');
          failuresAfterKill++;
        }
      }
    };
    const writers = Array.from({ length: IN_FLIGHT }, (_v, i) => writer(i));
    const allWriters = Promise.all(writers);
    let deadline: NodeJS.Timeout | undefined;
    await Promise.race([
      killSignal,
      allWriters,
      new Promise((_r, fail) => {
        deadline = setTimeout(() => fail(new Error('too few acknowledgements within 60 s')), 60_000);
      }),
    ]).finally(() => clearTimeout(deadline));
    killed = true;
    const ackedAtKill = acknowledged.length;
    first.server.child.kill('SIGKILL');
    const exit = await first.server.exited;
    assert.equal(exit.signal, 'SIGKILL');
    await allWriters;
    await first.client.close(true);
    // Acknowledgements racing with the kill may still arrive before the socket drops: those count too.
    const acked = acknowledged.slice();
    console.log(
      `kill -9 after ${ackedAtKill} acknowledged inserts (${acked.length} with late acks), ` +
        `${failuresAfterKill} in flight failed`,
    );

    const second = await launch(dbPath);
    const reopened = second.client.db('durable').collection('messages');
    const present = new Set(
      (await reopened.find({}, { projection: { _id: 1 } }).toArray()).map((d) => d._id.toHexString()),
    );
    const missing = acked.filter((id) => !present.has(id.toHexString()));
    assert.deepEqual(
      missing.slice(0, 10),
      [],
      `${missing.length} of ${acked.length} acknowledged inserts lost`,
    );
    assert.ok(present.size >= acked.length);
    // The database is usable after recovery: new writes go in and the unique index still holds.
    await reopened.insertOne({ _id: new ObjectId(), seq: -1 });
    await assert.rejects(
      reopened.insertOne({ _id: new ObjectId(), seq: -1 }),
      (e: { code?: number }) => e.code === 11000,
    );
  });

  test('indexes and their options survive a restart and keep being used and enforced', async () => {
    const dbPath = await makeTempDir('durability-indexes');
    dirs.push(dbPath);
    const first = await launch(dbPath);
    const db = first.client.db('durable');
    const messages = db.collection('messages');
    await messages.insertMany(
      Array.from({ length: 500 }, (_v, i) => ({
        roomId: `r${i % 5}`,
        n: i,
        email: `u${i}@x`,
        at: new Date(),
      })),
    );
    await messages.createIndex({ roomId: 1, _id: -1 }, { name: 'room_history' });
    await messages.createIndex({ email: 1 }, { unique: true, name: 'email_unique' });
    await messages.createIndex({ n: 1 }, { sparse: true, name: 'n_sparse' });
    await messages.createIndex({ at: 1 }, { expireAfterSeconds: 3600, name: 'at_ttl' });
    await messages.createIndex(
      { roomId: 1, n: 1 },
      { name: 'room_n_partial', partialFilterExpression: { n: { $gt: 100 } } },
    );
    const before = (await messages.listIndexes().toArray()).sort((a, b) =>
      String(a.name).localeCompare(b.name),
    );

    // A graceful stop (SIGTERM) exits cleanly; a kill -9 must not lose the catalogue either.
    first.server.child.kill('SIGTERM');
    const stopped = await first.server.exited;
    assert.equal(stopped.code, 0, 'SIGTERM exits with code 0');
    await first.client.close(true);

    const second = await launch(dbPath);
    const again = second.client.db('durable').collection('messages');
    const afterRestart = (await again.listIndexes().toArray()).sort((a, b) =>
      String(a.name).localeCompare(b.name),
    );
    assert.deepEqual(
      afterRestart.map((ix) => [
        ix.name,
        keyOf(ix),
        ix.unique ?? false,
        ix.sparse ?? false,
        ix.expireAfterSeconds,
      ]),
      before.map((ix) => [ix.name, keyOf(ix), ix.unique ?? false, ix.sparse ?? false, ix.expireAfterSeconds]),
    );
    const partial = afterRestart.find((ix) => ix.name === 'room_n_partial');
    assert.deepEqual(partial?.partialFilterExpression, { n: { $gt: 100 } });
    assert.equal(await again.countDocuments(), 500);
    await assert.rejects(again.insertOne({ email: 'u7@x' }), (e: { code?: number }) => e.code === 11000);

    const plan = await again.find({ roomId: 'r3' }).sort({ _id: -1 }).limit(50).explain();
    assert.match(
      JSON.stringify(plan),
      /room_history/,
      'the history query still uses its index after restart',
    );
    const page = await again.find({ roomId: 'r3' }).sort({ _id: -1 }).limit(50).toArray();
    assert.equal(page.length, 50);
    assert.ok(page.every((d) => d.roomId === 'r3'));

    second.server.child.kill('SIGKILL');
    await second.server.exited;
    const third = await launch(dbPath);
    const names = (await third.client.db('durable').collection('messages').listIndexes().toArray()).map(
      (i) => i.name,
    );
    assert.deepEqual(names.sort(), before.map((i) => String(i.name)).sort());
  });
});
