import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GridFSBucket, MongoClient, ObjectId, type Db } from 'mongodb';
import { startTempDocstore, type RunningDocstore } from './support/docstore-harness';

const CHUNK = 255 * 1024; // the driver's default chunkSizeBytes

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

async function upload(
  bucket: GridFSBucket,
  filename: string,
  data: Buffer,
  metadata?: object,
): Promise<ObjectId> {
  const stream = bucket.openUploadStream(filename, { metadata });
  // Feed the bytes in uneven pieces so chunk assembly inside the driver is exercised too.
  const pieces: Buffer[] = [];
  for (let at = 0; at < data.length; at += 100_003) pieces.push(data.subarray(at, at + 100_003));
  await pipeline(Readable.from(pieces), stream);
  return stream.id;
}

async function download(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

describe('GridFS through GridFSBucket against the docstore', () => {
  let server: RunningDocstore;
  let client: MongoClient;
  let db: Db;
  let bucket: GridFSBucket;

  before(async () => {
    server = await startTempDocstore('gridfs');
    client = new MongoClient(server.uri, { serverSelectionTimeoutMS: 5000 });
    await client.connect();
    db = client.db('gridfs_test');
    bucket = new GridFSBucket(db);
  });

  after(async () => {
    await client?.close();
    await server?.close();
  });

  const sizes: [string, number][] = [
    ['0 bytes', 0],
    ['1 byte', 1],
    ['chunkSize - 1', CHUNK - 1],
    ['exactly chunkSize', CHUNK],
    ['chunkSize + 1', CHUNK + 1],
    ['3 whole chunks', 3 * CHUNK],
    ['4 chunks and a tail', 4 * CHUNK + 17],
    ['50 MB', 50 * 1024 * 1024],
  ];
  for (const [label, size] of sizes) {
    test(`a file of ${label} downloads byte-exact (sha256) and is stored as ceil(length/chunkSize) chunks`, async () => {
      const data = randomBytes(size);
      const id = await upload(bucket, `file-${size}.bin`, data);

      const files = await db.collection('fs.files').find({ _id: id }).toArray();
      assert.equal(files.length, 1);
      assert.equal(files[0].length, size);
      assert.equal(files[0].chunkSize, CHUNK);
      assert.equal(files[0].filename, `file-${size}.bin`);
      const chunks = await db
        .collection('fs.chunks')
        .find({ files_id: id }, { projection: { n: 1 }, sort: { n: 1 } })
        .toArray();
      assert.deepEqual(
        chunks.map((c) => c.n),
        Array.from({ length: Math.ceil(size / CHUNK) }, (_v, i) => i),
      );

      const back = await download(bucket.openDownloadStream(id));
      assert.equal(back.length, size);
      assert.equal(sha256(back), sha256(data));
    });
  }

  test('ranged downloads (start/end) return exactly the requested bytes across chunk boundaries', async () => {
    const data = randomBytes(5 * CHUNK + 1234);
    const id = await upload(bucket, 'ranged.bin', data);
    const ranges: [number, number][] = [
      [0, 1],
      [0, CHUNK],
      [CHUNK - 1, CHUNK + 1],
      [CHUNK, 2 * CHUNK],
      [10, 3 * CHUNK + 7],
      [4 * CHUNK + 5, data.length],
      [data.length - 1, data.length],
      [123, 123 + 1_000_000],
    ];
    for (const [start, end] of ranges) {
      const part = await download(bucket.openDownloadStream(id, { start, end }));
      assert.equal(part.length, end - start, `length of [${start}, ${end})`);
      assert.ok(part.equals(data.subarray(start, end)), `bytes of [${start}, ${end})`);
    }
  });

  test('find filters and sorts files by filename, metadata and uploadDate', async () => {
    const scoped = new GridFSBucket(db, { bucketName: 'findable' });
    const first = await upload(scoped, 'report.txt', Buffer.from('v1'), { owner: 'ann' });
    const second = await upload(scoped, 'report.txt', Buffer.from('version 2'), { owner: 'bob' });
    await upload(scoped, 'other.txt', Buffer.from('x'), { owner: 'ann' });

    const byName = await scoped
      .find({ filename: 'report.txt' }, { sort: { uploadDate: -1, _id: -1 } })
      .toArray();
    assert.deepEqual(
      byName.map((f) => f._id.toHexString()),
      [second.toHexString(), first.toHexString()],
    );
    const anns = await scoped.find({ 'metadata.owner': 'ann' }, { sort: { filename: 1 } }).toArray();
    assert.deepEqual(
      anns.map((f) => f.filename),
      ['other.txt', 'report.txt'],
    );
    const latest = await download(scoped.openDownloadStreamByName('report.txt'));
    assert.equal(latest.toString(), 'version 2');
    const oldest = await download(scoped.openDownloadStreamByName('report.txt', { revision: 0 }));
    assert.equal(oldest.toString(), 'v1');
  });

  test('rename changes the filename only; the content stays the same', async () => {
    const data = randomBytes(CHUNK + 5);
    const id = await upload(bucket, 'before-rename.bin', data);
    await bucket.rename(id, 'after-rename.bin');
    assert.equal((await bucket.find({ filename: 'before-rename.bin' }).toArray()).length, 0);
    const [file] = await bucket.find({ filename: 'after-rename.bin' }).toArray();
    assert.equal(file._id.toHexString(), id.toHexString());
    assert.equal(sha256(await download(bucket.openDownloadStreamByName('after-rename.bin'))), sha256(data));
    await assert.rejects(bucket.rename(new ObjectId(), 'nothing'), /not found/i);
  });

  test('delete removes the files document and every chunk; downloading it then fails', async () => {
    const id = await upload(bucket, 'doomed.bin', randomBytes(3 * CHUNK + 1));
    assert.equal(await db.collection('fs.chunks').countDocuments({ files_id: id }), 4);
    await bucket.delete(id);
    assert.equal(await db.collection('fs.files').countDocuments({ _id: id }), 0);
    assert.equal(await db.collection('fs.chunks').countDocuments({ files_id: id }), 0);
    await assert.rejects(download(bucket.openDownloadStream(id)), /FileNotFound|File not found/i);
    await assert.rejects(bucket.delete(id), /not found/i);
  });

  test('concurrent uploads of different sizes each round-trip intact', async () => {
    const inputs = Array.from({ length: 8 }, (_v, i) => randomBytes(i * CHUNK + i * 1001 + 1));
    const ids = await Promise.all(inputs.map((data, i) => upload(bucket, `concurrent-${i}.bin`, data)));
    const outputs = await Promise.all(ids.map((id) => download(bucket.openDownloadStream(id))));
    outputs.forEach((out, i) => assert.equal(sha256(out), sha256(inputs[i]), `file ${i}`));
  });

  test('the driver-created unique index {files_id: 1, n: 1} rejects a duplicate chunk', async () => {
    const id = await upload(bucket, 'unique.bin', randomBytes(10));
    const indexes = await db.collection('fs.chunks').listIndexes().toArray();
    const chunkIndex = indexes.find((ix) => JSON.stringify(ix.key) === JSON.stringify({ files_id: 1, n: 1 }));
    assert.ok(chunkIndex?.unique, `unique chunk index in ${JSON.stringify(indexes)}`);
    await assert.rejects(
      db.collection('fs.chunks').insertOne({ files_id: id, n: 0, data: Buffer.from('dup') }),
      (e: { code?: number }) => e.code === 11000,
    );
  });
});
