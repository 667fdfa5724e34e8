import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { link, lstat, rename, rm } from 'node:fs/promises';
import { after, describe, it } from 'node:test';
import { MongoClient } from 'mongodb';
import { startDocstore } from '../src';
import { type RunningDocstore, runDocstore, tempDir } from './helpers';

// The package's bin (what `npx docstore` runs), from dist/test.
const CLI = path.join(__dirname, '..', '..', 'bin', 'docstore.js');

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms))),
  ]).finally(() => clearTimeout(timer));
}

describe('docstore lifecycle: restarts, concurrency, CLI', () => {
  const running: RunningDocstore[] = [];
  const dirs: string[] = [];
  after(async () => {
    for (const r of running) await r.stop().catch(() => undefined);
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('keeps documents, indexes and uniqueness across a restart on the same data directory', async () => {
    const dbPath = await tempDir();
    dirs.push(dbPath);
    const first = await runDocstore({ dbPath });
    const col = first.client.db('p').collection('things');
    await col.createIndex({ key: 1 }, { unique: true });
    await col.insertMany(Array.from({ length: 500 }, (_, i) => ({ key: i, body: 'x'.repeat(i) })));
    await col.updateOne({ key: 7 }, { $set: { touched: true } });
    await col.deleteOne({ key: 8 });
    await first.stop(true);

    const second = await runDocstore({ dbPath });
    running.push(second);
    const again = second.client.db('p').collection('things');
    assert.equal(await again.countDocuments(), 499);
    assert.equal((await again.findOne({ key: 7 }))?.touched, true);
    assert.equal(await again.findOne({ key: 8 }), null);
    assert.deepEqual(
      (await again.indexes()).map((i) => i.name),
      ['_id_', 'key_1'],
    );
    await assert.rejects(again.insertOne({ key: 1 }), { code: 11000 });
  });

  it('concurrent writers: every insert lands once, $inc from many clients adds up, one of racing duplicates wins', async () => {
    const ds = await runDocstore();
    running.push(ds);
    const clients = await Promise.all(
      Array.from({ length: 4 }, async () => {
        const c = new MongoClient(ds.store.uri, { maxPoolSize: 16 });
        await c.connect();
        return c;
      }),
    );
    try {
      const db = (i: number) => clients[i % clients.length].db('conc');
      await db(0)
        .collection('counters')
        .insertOne({ _id: 'c' as never, n: 0 });
      await db(0).collection('claims').createIndex({ name: 1 }, { unique: true });
      const inserts = Array.from({ length: 800 }, (_, i) => db(i).collection('items').insertOne({ i }));
      const incs = Array.from({ length: 400 }, (_, i) =>
        db(i)
          .collection('counters')
          .updateOne({ _id: 'c' as never }, { $inc: { n: 1 } }),
      );
      const claims = Array.from({ length: 40 }, (_, i) =>
        db(i)
          .collection('claims')
          .insertOne({ name: 'only-one', by: i })
          .then(
            () => 'ok',
            (err: { code?: number }) => (err.code === 11000 ? 'dup' : `error ${String(err.code)}`),
          ),
      );
      const [, , claimResults] = await Promise.all([
        Promise.all(inserts),
        Promise.all(incs),
        Promise.all(claims),
      ]);
      assert.equal(await db(1).collection('items').countDocuments(), 800);
      assert.deepEqual((await db(1).collection('items').distinct('i')).length, 800);
      assert.equal(
        (
          await db(2)
            .collection('counters')
            .findOne({ _id: 'c' as never })
        )?.n,
        400,
      );
      assert.equal(claimResults.filter((r) => r === 'ok').length, 1);
      assert.equal(claimResults.filter((r) => r === 'dup').length, 39);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  });

  it('closes a connection that sends an oversized or unknown frame and keeps serving others', async () => {
    const ds = await runDocstore();
    running.push(ds);
    const port = ds.store.port;
    const closedAfter = (frame: Buffer) =>
      withTimeout(
        new Promise<void>((resolve) => {
          const sock = net.connect(port, '127.0.0.1', () => sock.write(frame));
          sock.on('close', () => resolve());
          sock.on('error', () => undefined);
        }),
        5000,
        'server closing a bad connection',
      );
    const huge = Buffer.alloc(16);
    huge.writeInt32LE(60_000_000, 0);
    await closedAfter(huge);
    const unknown = Buffer.alloc(21);
    unknown.writeInt32LE(21, 0);
    unknown.writeInt32LE(9999, 12);
    await closedAfter(unknown);
    assert.deepEqual(await ds.client.db('admin').command({ ping: 1 }), { ok: 1 });
  });

  it('the CLI prints one line when listening, refuses a non-loopback bind without --bind-any, and stops cleanly on SIGTERM', async () => {
    const dbPath = await tempDir();
    dirs.push(dbPath);
    const refused = spawn(process.execPath, [CLI, '--dbpath', dbPath, '--port', '0', '--bind', '0.0.0.0']);
    let refusedErr = '';
    refused.stderr.on('data', (d: Buffer) => (refusedErr += d.toString()));
    const refusedCode = await withTimeout(
      new Promise<number | null>((r) => refused.on('exit', r)),
      10_000,
      'refusal',
    );
    assert.equal(refusedCode, 1);
    assert.match(refusedErr, /--bind-any/);

    const child = spawn(process.execPath, [CLI, '--dbpath', dbPath, '--port', '0']);
    const exited = new Promise<number | null>((r) => child.on('exit', r));
    try {
      const line = await withTimeout(
        new Promise<string>((resolve) => {
          let out = '';
          child.stdout.on('data', (d: Buffer) => {
            out += d.toString();
            if (out.includes('\n')) resolve(out.split('\n')[0]);
          });
        }),
        10_000,
        'CLI listening line',
      );
      const uri = /mongodb:\/\/127\.0\.0\.1:\d+\//.exec(line)?.[0];
      assert.ok(uri, `listening line names the URI: ${line}`);
      const client = new MongoClient(uri, { serverSelectionTimeoutMS: 5000 });
      await client.connect();
      await client.db('cli').collection('x').insertOne({ a: 1 });
      await client.close();
      child.kill('SIGTERM');
      assert.equal(await withTimeout(exited, 10_000, 'CLI exit after SIGTERM'), 0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('listens on a Unix socket only its owner can open, replaces a stale socket file and refuses one in use', async () => {
    const dbPath = await tempDir();
    dirs.push(dbPath);
    const socketPath = path.join(dbPath, 'docstore.sock');
    // What a killed process leaves behind: a socket file nobody answers on.
    const dead = net.createServer();
    await new Promise<void>((resolve) => dead.listen(socketPath, resolve));
    await new Promise<void>((resolve) => {
      // Closing unlinks the file; a hard link keeps a socket inode at the path, as after kill -9.
      void link(socketPath, `${socketPath}.keep`).then(() => dead.close(() => resolve()));
    });
    await rename(`${socketPath}.keep`, socketPath);
    assert.ok((await lstat(socketPath)).isSocket());

    const first = await runDocstore({ dbPath, socketPath });
    assert.equal(first.store.uri, `mongodb://${encodeURIComponent(socketPath)}/`);
    assert.equal(first.store.socketPath, socketPath);
    assert.equal((await lstat(socketPath)).mode & 0o777, 0o600);
    await first.client.db('p').collection('things').insertOne({ over: 'unix' });
    assert.equal(await first.client.db('p').collection('things').countDocuments({ over: 'unix' }), 1);

    const otherDbPath = await tempDir();
    dirs.push(otherDbPath);
    await assert.rejects(
      startDocstore({ dbPath: otherDbPath, socketPath }),
      /another server is listening on/,
    );
    await first.stop(true);
    await assert.rejects(lstat(socketPath), { code: 'ENOENT' });
  });
});
