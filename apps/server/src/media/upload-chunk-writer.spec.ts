import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { ChunkBatch, ChunkStoreFailure, UploadChunkWriter } from './upload-chunk-writer';

const CHUNK = 1000;

/** A store whose requests stay pending until released one by one (or all), recording what it got. */
class ControlledStore {
  readonly requests: {
    batch: ChunkBatch;
    copy: Buffer[];
    settled: boolean;
    settle: (err?: Error) => void;
  }[] = [];
  readonly stored = new Map<number, Buffer>();
  running = 0;
  maxRunning = 0;
  private arrived?: () => void;

  store = (batch: ChunkBatch): Promise<void> => {
    this.running += 1;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    const copy = batch.chunks.map((c) => Buffer.from(c));
    return new Promise<void>((resolve, reject) => {
      const request = {
        batch,
        copy,
        settled: false,
        settle: (err?: Error) => {
          request.settled = true;
          this.running -= 1;
          if (err) return reject(err);
          copy.forEach((bytes, i) => this.stored.set(batch.first + i, bytes));
          resolve();
        },
      };
      this.requests.push(request);
      this.arrived?.();
    });
  };

  /** Resolves once `count` requests have arrived. */
  async requestsArrived(count: number): Promise<void> {
    while (this.requests.length < count) {
      await new Promise<void>((resolve) => (this.arrived = resolve));
    }
  }
}

function writer(
  store: ControlledStore,
  options: { offset?: number; storedTail?: Buffer; committed?: [number, Buffer[]][] } = {},
): UploadChunkWriter {
  return new UploadChunkWriter({
    chunkSize: CHUNK,
    offset: options.offset ?? 0,
    storedTail: options.storedTail,
    beforeStore: async () => {},
    store: store.store,
    onCommitted: async (committed, added) => {
      options.committed?.push([committed, added.map((a) => Buffer.from(a))]);
    },
    buffered: 5,
    inFlight: 2,
    perStore: 2,
  });
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** Lets every store request succeed as it arrives until `done` settles. */
async function storeAll<T>(store: ControlledStore, done: Promise<T>): Promise<T> {
  let finished = false;
  const result = done.finally(() => (finished = true));
  while (!finished) {
    for (const request of store.requests) if (!request.settled) request.settle();
    await tick();
  }
  return result;
}

describe('UploadChunkWriter', () => {
  it('holds at most `buffered` chunks: a body faster than the store waits instead of growing memory', async () => {
    const store = new ControlledStore();
    const w = writer(store);
    const data = randomBytes(20 * CHUNK);
    let written = 0;
    const writing = (async () => {
      for (let at = 0; at < data.length; at += 300) {
        await w.write(data.subarray(at, at + 300));
        written = at + 300;
      }
    })();
    await store.requestsArrived(2);
    await tick();
    // 2 requests in flight (2 chunks each at most), the rest of the 5 buffers filled, then it waits.
    assert.equal(store.requests.length, 2);
    assert.ok(written <= 5 * CHUNK, `took ${written} bytes with 5 buffers`);
    await storeAll(store, writing);
    const finishing = storeAll(store, w.finish());
    assert.equal(await finishing, data.length);
    assert.ok(store.maxRunning <= 2, `${store.maxRunning} store requests ran at once`);
    assert.ok(store.requests.every((r) => r.batch.chunks.length <= 2));
    assert.deepEqual(
      Buffer.concat([...store.stored.entries()].sort((a, b) => a[0] - b[0]).map(([, b]) => b)),
      data,
    );
  });

  it('commits only a contiguous prefix, in order, even when later requests finish first', async () => {
    const store = new ControlledStore();
    const committed: [number, Buffer[]][] = [];
    const w = writer(store, { committed });
    const data = randomBytes(4 * CHUNK);
    await w.write(data.subarray(0, 2 * CHUNK));
    await w.write(data.subarray(2 * CHUNK));
    await store.requestsArrived(2);
    const [first, second] = store.requests;
    second!.settle();
    await tick();
    assert.equal(w.committed, 0, 'the second request alone commits nothing');
    first!.settle();
    await tick();
    assert.equal(w.committed, second!.batch.receivedBytes, 'both requests commit once the first is stored');
    assert.equal(await storeAll(store, w.finish()), 4 * CHUNK);
    const offsets = committed.map(([bytes]) => bytes);
    assert.deepEqual(
      offsets,
      [...offsets].sort((a, b) => a - b),
      'the offset only grows',
    );
    assert.deepEqual(Buffer.concat(committed.flatMap(([, added]) => added)), data);
  });

  it('finish() resolves once every chunk is committed, also when the requests in flight settle together', async () => {
    const store = new ControlledStore();
    const w = writer(store);
    const data = randomBytes(4 * CHUNK + 10);
    await w.write(data);
    await store.requestsArrived(2);
    // The window is full and chunks wait behind it when the body ends.
    const finishing = w.finish();
    for (const request of store.requests) request.settle();
    assert.equal(await storeAll(store, finishing), data.length);
    assert.deepEqual(
      Buffer.concat([...store.stored.entries()].sort((a, b) => a[0] - b[0]).map(([, b]) => b)),
      data,
    );
  });

  it('stores a chunk at once when no request runs, and waits for a full batch (or the end) while one does', async () => {
    const store = new ControlledStore();
    const w = writer(store);
    await w.write(randomBytes(CHUNK));
    await store.requestsArrived(1);
    assert.equal(store.requests[0]!.batch.chunks.length, 1, 'the first chunk is not held back');
    await w.write(randomBytes(CHUNK));
    await tick();
    assert.equal(store.requests.length, 1, 'one chunk waits while a request runs');
    await w.write(randomBytes(CHUNK));
    await store.requestsArrived(2);
    assert.equal(store.requests[1]!.batch.chunks.length, 2, 'a full batch goes at once');
    await w.write(randomBytes(CHUNK));
    store.requests[0]!.settle();
    await tick();
    assert.equal(store.requests.length, 2, 'one chunk still waits while the second request runs');
    const finishing = w.finish();
    await store.requestsArrived(3);
    assert.equal(store.requests[2]!.batch.chunks.length, 1, 'the end of the body sends a partial batch');
    assert.equal(await storeAll(store, finishing), 4 * CHUNK);
  });

  it('a failed request stops the offset before it; requests after it do not count', async () => {
    const store = new ControlledStore();
    const w = writer(store);
    await w.write(randomBytes(4 * CHUNK + 10));
    await store.requestsArrived(2);
    const [first, second] = store.requests;
    second!.settle(); // chunks 2-3 stored: strays once chunks 0-1 fail
    first!.settle(new Error('write timed out'));
    const failure = await w.finish().catch((err: unknown) => err);
    assert.ok(failure instanceof ChunkStoreFailure);
    assert.equal(failure.batch.first, 0);
    assert.equal(w.committed, 0);
    assert.equal(store.requests.length, 2, 'nothing is stored after a failure');
  });

  it('continues a chunk stored partly before: the first request replaces it, hashing only new bytes', async () => {
    const store = new ControlledStore();
    const committed: [number, Buffer[]][] = [];
    const head = randomBytes(CHUNK + 400);
    const w = writer(store, { offset: head.length, storedTail: head.subarray(CHUNK), committed });
    const rest = randomBytes(CHUNK + 100);
    await w.write(rest);
    const finishing = w.finish();
    await store.requestsArrived(1);
    assert.equal(store.requests[0]!.batch.replaceFirst, true);
    assert.equal(store.requests[0]!.batch.chunks.length, 1, 'a replaced chunk is stored on its own');
    assert.deepEqual(
      store.requests[0]!.copy[0],
      Buffer.concat([head.subarray(CHUNK), rest.subarray(0, 600)]),
    );
    store.requests[0]!.settle();
    await store.requestsArrived(2);
    assert.equal(store.requests[1]!.batch.replaceFirst, false);
    store.requests[1]!.settle();
    assert.equal(await finishing, head.length + rest.length);
    assert.deepEqual(Buffer.concat(committed.flatMap(([, added]) => added)), rest);
  });
});
