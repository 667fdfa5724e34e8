import { Docstore, startDocstore } from '@palaver/docstore';
import { GridFSBucket } from 'mongodb';
import mongoose from 'mongoose';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RejectedError, UnavailableError } from '../src/common/domain-error';
import { GridFsChunkRepository } from '../src/media/gridfs-chunk.repository';
import { MEDIA_CHUNK_SIZE } from '../src/media/media.entity';
import { MediaRepository } from '../src/media/media.repository';
import { MediaDocument, MediaSchema } from '../src/media/media.schema';
import { UPLOAD_BUFFERED_CHUNKS } from '../src/media/upload-chunk-writer';
import { mediaHarness, MediaHarness, userNamed } from '../src/media/media.test-doubles';
import { AllowAllUploadPolicy, UploadChunkContext } from '../src/media/upload-policy';

const alice = userNamed('alice');
const ROOM = 'room1';

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

const BLOCK = randomBytes(1024 * 1024);

/** Pseudo-random bytes generated piece by piece (a large body without a large buffer); same seed, same bytes. */
async function* generated(size: number, seed: number, pieceSize = 64 * 1024): AsyncGenerator<Buffer> {
  for (let at = 0, i = 0; at < size; at += pieceSize, i++) {
    const piece = Buffer.allocUnsafe(Math.min(pieceSize, size - at));
    BLOCK.copy(piece, 0, (i * pieceSize) % BLOCK.length);
    piece.writeUInt32LE(seed, 0);
    piece.writeUInt32LE(i, 4);
    yield piece;
  }
}

describe('media storage in GridFS through the docstore', () => {
  let dir: string;
  let docstore: Docstore;
  let connection: mongoose.Connection;
  let chunkRepository: GridFsChunkRepository;

  /** MediaService over the real repositories (room access and events stay in memory). */
  function harness(policy = new AllowAllUploadPolicy(), chunks = chunkRepository): MediaHarness {
    const base = mediaHarness({ policy });
    const real = mediaHarness({
      policy,
      shared: {
        ...base,
        media: new MediaRepository(connection.model(MediaDocument.name, MediaSchema)) as never,
        chunks: chunks as never,
      },
    });
    real.access.members.add(`alice:${ROOM}`);
    return real;
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'palaver-media-'));
    // Test commands on: one test injects a failed insert (MongoDB's failCommand fail point).
    docstore = await startDocstore({ dbPath: dir, port: 0, host: '127.0.0.1', enableTestCommands: true });
    connection = await mongoose.createConnection(docstore.uri, { dbName: 'palaver_media_test' }).asPromise();
    chunkRepository = new GridFsChunkRepository(connection);
    await chunkRepository.onModuleInit();
  });

  after(async () => {
    await connection?.close();
    await docstore?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('stores a 100 MB upload sha256-exact, readable by a standard GridFSBucket reader', async () => {
    const h = harness();
    const size = 100 * 1024 * 1024;
    const id = h.service.newMediaId();
    await h.service.startUpload(alice, id, { roomId: ROOM, filename: 'big.bin', size });
    const expected = createHash('sha256');
    for await (const piece of generated(size, 1)) expected.update(piece);
    assert.equal(await h.service.appendBytes(alice, id, 0, generated(size, 1)), size);
    const record = await h.media.findById(id);
    assert.equal(record?.status, 'complete');
    assert.equal(record?.sha256, expected.digest('hex'));

    const bucket = new GridFSBucket(connection.db as never, { bucketName: 'fs' });
    const readBack = createHash('sha256');
    let length = 0;
    for await (const piece of bucket.openDownloadStream(id as never)) {
      readBack.update(piece as Buffer);
      length += (piece as Buffer).length;
    }
    assert.equal(length, size);
    assert.equal(readBack.digest('hex'), record?.sha256);
  });

  it('a watcher following a growing file through the real chunk store gets every byte once, ending at completion', async () => {
    const h = harness();
    const data = randomBytes(4 * MEDIA_CHUNK_SIZE + 4321);
    const id = h.service.newMediaId();
    await h.service.startUpload(alice, id, { roomId: ROOM, filename: 'v.mp4', size: data.length });
    const parts: Buffer[] = [];
    const watching = (async () => {
      for await (const part of h.reader.read((await h.media.findById(id))!)) parts.push(part);
    })();
    const cut = 2 * MEDIA_CHUNK_SIZE + 77;
    await h.service.appendBytes(alice, id, 0, generatedFrom(data.subarray(0, cut)));
    await h.service.appendBytes(alice, id, cut, generatedFrom(data.subarray(cut)));
    await watching;
    assert.equal(sha256(Buffer.concat(parts)), sha256(data));
  });

  it('an insert failing mid-upload leaves a truthful offset and a resumable upload; a watcher gets every byte once', async () => {
    const h = harness();
    const data = randomBytes(40 * MEDIA_CHUNK_SIZE + 1234);
    const id = h.service.newMediaId();
    await h.service.startUpload(alice, id, { roomId: ROOM, filename: 'f.bin', size: data.length });
    const parts: Buffer[] = [];
    const watching = (async () => {
      for await (const part of h.reader.read((await h.media.findById(id))!)) parts.push(part);
    })();
    const failAt = 20 * MEDIA_CHUNK_SIZE;
    async function* failingMidway(): AsyncGenerator<Buffer> {
      for (let at = 0; at < data.length; at += 65_536) {
        if (at >= failAt && at - 65_536 < failAt) {
          // The next insert command fails (MaxTimeMSExpired: not retried by the driver).
          await connection.db!.admin().command({
            configureFailPoint: 'failCommand',
            mode: { times: 1 },
            data: { failCommands: ['insert'], errorCode: 50 },
          });
        }
        yield data.subarray(at, at + 65_536);
      }
    }
    await assert.rejects(h.service.appendBytes(alice, id, 0, failingMidway()), UnavailableError);
    const state = await h.service.uploadState(alice, id);
    const offset = state.committedBytes;
    assert.equal(state.status, 'uploading');
    assert.equal(offset % MEDIA_CHUNK_SIZE, 0);
    // The failed insert holds chunks the window took in before failAt: at most UPLOAD_BUFFERED_CHUNKS.
    assert.ok(
      offset >= failAt - UPLOAD_BUFFERED_CHUNKS * MEDIA_CHUNK_SIZE && offset < data.length,
      `offset ${offset}`,
    );
    assert.equal(
      await chunkRepository.countChunks(id),
      offset / MEDIA_CHUNK_SIZE,
      'no chunk beyond the offset',
    );

    assert.equal(
      await h.service.appendBytes(alice, id, offset, generatedFrom(data.subarray(offset))),
      data.length,
    );
    await watching;
    assert.equal(Buffer.concat(parts).length, data.length);
    assert.equal(sha256(Buffer.concat(parts)), sha256(data));
    assert.equal((await h.media.findById(id))?.sha256, sha256(data));
  });

  /** The real chunk repository, except that its first files-document write times out. */
  function filesDocFailingOnce(): GridFsChunkRepository {
    let failNext = true;
    const flaky = Object.create(chunkRepository) as GridFsChunkRepository;
    flaky.writeFilesDoc = async (...args) => {
      if (failNext) {
        failNext = false;
        throw new Error('write timed out');
      }
      return chunkRepository.writeFilesDoc(...args);
    };
    return flaky;
  }

  it('an upload whose completion failed to store finishes with an empty PATCH at the final offset', async () => {
    // The files document fails once, after every chunk is stored (a write timeout at the worst moment).
    const h = harness(undefined, filesDocFailingOnce());
    const data = randomBytes(2 * MEDIA_CHUNK_SIZE + 5);
    const id = h.service.newMediaId();
    await h.service.startUpload(alice, id, { roomId: ROOM, filename: 'late.bin', size: data.length });
    await assert.rejects(h.service.appendBytes(alice, id, 0, generatedFrom(data)), /write timed out/);
    const state = await h.media.findById(id);
    assert.equal(state?.status, 'uploading');
    assert.equal(state?.committedBytes, data.length, 'every byte stays stored');

    assert.equal(
      await h.service.appendBytes(alice, id, data.length, generatedFrom(Buffer.alloc(0))),
      data.length,
    );
    const record = await h.media.findById(id);
    assert.equal(record?.status, 'complete');
    assert.equal(record?.sha256, sha256(data), 'the hash is taken over the stored bytes again');
    const bucket = new GridFSBucket(connection.db as never, { bucketName: 'fs' });
    const read: Buffer[] = [];
    for await (const part of bucket.openDownloadStream(id as never)) read.push(part as Buffer);
    assert.equal(sha256(Buffer.concat(read)), sha256(data));
  });

  it('HEAD completes an upload whose completion failed to store: a tus client at offset = length sends no more', async () => {
    const h = harness(undefined, filesDocFailingOnce());
    const data = randomBytes(MEDIA_CHUNK_SIZE + 77);
    const id = h.service.newMediaId();
    await h.service.startUpload(alice, id, { roomId: ROOM, filename: 'head.bin', size: data.length });
    await assert.rejects(h.service.appendBytes(alice, id, 0, generatedFrom(data)), /write timed out/);
    assert.equal((await h.media.findById(id))?.status, 'uploading');

    const state = await h.service.uploadState(alice, id);
    assert.equal(state.status, 'complete');
    assert.equal(state.committedBytes, data.length);
    const record = await h.media.findById(id);
    assert.equal(record?.status, 'complete');
    assert.equal(record?.sha256, sha256(data));
    assert.equal(
      (await h.service.uploadState(alice, id)).status,
      'complete',
      'a second HEAD changes nothing',
    );
  });

  it('a policy abort mid-stream leaves no chunks in GridFS', async () => {
    class Abort extends AllowAllUploadPolicy {
      override async onChunk(ctx: UploadChunkContext): Promise<void> {
        if (ctx.receivedBytes > MEDIA_CHUNK_SIZE) throw new RejectedError('quota exceeded');
      }
    }
    const h = harness(new Abort());
    const id = h.service.newMediaId();
    await h.service.startUpload(alice, id, { roomId: ROOM, filename: 'x', size: 3 * MEDIA_CHUNK_SIZE });
    await assert.rejects(h.service.appendBytes(alice, id, 0, generated(3 * MEDIA_CHUNK_SIZE, 7)), /quota/);
    assert.equal(await chunkRepository.countChunks(id), 0);
    assert.equal((await h.media.findById(id))?.status, 'failed');
  });
});

async function* generatedFrom(data: Buffer): AsyncGenerator<Buffer> {
  for (let at = 0; at < data.length; at += 50_000) yield data.subarray(at, at + 50_000);
}
