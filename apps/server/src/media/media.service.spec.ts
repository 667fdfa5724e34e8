import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import {
  ConflictError,
  ForbiddenError,
  PayloadTooLargeError,
  RejectedError,
  UnavailableError,
} from '../common/domain-error';
import { MEDIA_CHUNK_SIZE } from './media.entity';
import type { MediaChunkNotice } from './media.events';
import { mediaHarness, MediaHarness, userNamed } from './media.test-doubles';
import { AllowAllUploadPolicy, UploadChunkContext } from './upload-policy';

const alice = userNamed('alice');
const bob = userNamed('bob');
const ROOM = 'room1';

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Splits data into pieces of the given sizes (repeating the pattern), as a request body would arrive. */
async function* pieces(data: Buffer, sizes: number[] = [7919]): AsyncGenerator<Buffer> {
  let at = 0;
  let i = 0;
  while (at < data.length) {
    const size = sizes[i++ % sizes.length];
    yield data.subarray(at, at + size);
    at += size;
  }
}

/** A body that delivers `upTo` bytes and then fails like a dropped connection. */
async function* droppedAfter(data: Buffer, upTo: number): AsyncGenerator<Buffer> {
  yield* pieces(data.subarray(0, upTo), [10_000]);
  throw Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
}

async function start(h: MediaHarness, size: number, name = 'file.bin') {
  h.access.members.add(`alice:${ROOM}`);
  const id = h.service.newMediaId();
  await h.service.startUpload(alice, id, {
    roomId: ROOM,
    filename: name,
    type: 'application/octet-stream',
    size,
  });
  return id;
}

async function collect(source: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of source) parts.push(part);
  return Buffer.concat(parts);
}

describe('MediaService uploads', () => {
  for (const size of [
    0,
    1,
    MEDIA_CHUNK_SIZE - 1,
    MEDIA_CHUNK_SIZE,
    MEDIA_CHUNK_SIZE + 1,
    3 * MEDIA_CHUNK_SIZE + 17,
  ]) {
    it(`stores a ${size} byte upload chunk by chunk and completes it with the exact sha256`, async () => {
      const h = mediaHarness();
      const data = randomBytes(size);
      const id = await start(h, size);
      if (size > 0)
        assert.equal(await h.service.appendBytes(alice, id, 0, pieces(data, [1000, 65536, 3])), size);
      const record = await h.media.findById(id);
      assert.equal(record?.status, 'complete');
      assert.equal(record?.sha256, sha256(data));
      assert.equal(record?.committedBytes, size);
      assert.deepEqual(h.chunks.bytes(id), data);
      assert.equal(h.chunks.files.get(id)?.size ?? 0, Math.ceil(size / MEDIA_CHUNK_SIZE));
      assert.equal(h.chunks.filesDocs.get(id)?.length, size);
      const [completed] = h.events.named('media.completed');
      assert.equal(completed.sha256, sha256(data));
    });
  }

  it('announces the upload before any byte arrives and publishes a notice per stored chunk', async () => {
    const h = mediaHarness();
    const notices: MediaChunkNotice[] = [];
    h.bus.subscribe('media.chunk', (n) => notices.push(n));
    const data = randomBytes(2 * MEDIA_CHUNK_SIZE + 5);
    const id = await start(h, data.length, 'clip.mp4');
    assert.deepEqual(h.events.named('media.started')[0], {
      mediaId: id,
      roomId: ROOM,
      uploader: alice,
      name: 'clip.mp4',
      declaredType: 'application/octet-stream',
      declaredSize: data.length,
    });
    await h.service.appendBytes(alice, id, 0, pieces(data));
    assert.deepEqual(
      notices.map((n) => [n.committedBytes, n.status]),
      [
        [MEDIA_CHUNK_SIZE, 'uploading'],
        [2 * MEDIA_CHUNK_SIZE, 'uploading'],
        [data.length, 'uploading'],
        [data.length, 'complete'],
      ],
    );
  });

  it('keeps the bytes that arrived before a dropped connection and resumes from them after a restart', async () => {
    const first = mediaHarness();
    const data = randomBytes(3 * MEDIA_CHUNK_SIZE);
    const id = await start(first, data.length);
    const cut = MEDIA_CHUNK_SIZE + 12_345;
    await assert.rejects(first.service.appendBytes(alice, id, 0, droppedAfter(data, cut)), /aborted/);
    assert.equal((await first.media.findById(id))?.committedBytes, cut);
    // A new service instance shares only the stores: the running hash must be rebuilt from chunks.
    const restarted = mediaHarness({ shared: first });
    await restarted.service.appendBytes(alice, id, cut, pieces(data.subarray(cut)));
    const record = await restarted.media.findById(id);
    assert.equal(record?.status, 'complete');
    assert.equal(record?.sha256, sha256(data));
    assert.deepEqual(restarted.chunks.bytes(id), data);
  });

  /** Makes the store request holding chunk `n` fail (once), after the requests behind it were stored. */
  function failStoreOf(h: MediaHarness, n: number): { first?: number } {
    const failed: { first?: number } = {};
    h.chunks.storeGate = async (first, count) => {
      if (failed.first === undefined && first <= n && n < first + count) {
        failed.first = first;
        await new Promise((resolve) => setTimeout(resolve, 30));
        throw new Error('write timed out');
      }
    };
    return failed;
  }

  it('a store failing inside the window leaves the upload resumable at the stored prefix, nothing beyond it', async () => {
    const h = mediaHarness();
    const data = randomBytes(8 * MEDIA_CHUNK_SIZE + 321);
    const id = await start(h, data.length);
    const failed = failStoreOf(h, 3);
    await assert.rejects(h.service.appendBytes(alice, id, 0, pieces(data, [65536])), UnavailableError);
    assert.ok(
      h.chunks.stores.some(([first]) => first > 3),
      'a later request was stored while the failing one was pending',
    );
    const offset = failed.first! * MEDIA_CHUNK_SIZE;
    const state = await h.service.uploadState(alice, id);
    assert.deepEqual([state.status, state.committedBytes], ['uploading', offset]);
    assert.equal((await h.media.findById(id))?.committedBytes, offset);
    assert.deepEqual(h.chunks.bytes(id), data.subarray(0, offset), 'no chunk is left beyond the offset');
    assert.equal(h.events.named('media.failed').length, 0);

    h.chunks.storeGate = undefined;
    assert.equal(await h.service.appendBytes(alice, id, offset, pieces(data.subarray(offset))), data.length);
    const record = await h.media.findById(id);
    assert.deepEqual([record?.status, record?.sha256], ['complete', sha256(data)]);
    assert.deepEqual(h.chunks.bytes(id), data);
  });

  it('chunks left beyond a gap (their cleanup failed too) are not counted, and the next write removes them', async () => {
    const h = mediaHarness();
    const data = randomBytes(8 * MEDIA_CHUNK_SIZE);
    const id = await start(h, data.length);
    const failed = failStoreOf(h, 2);
    h.chunks.deleteGate = async () => {
      h.chunks.deleteGate = undefined;
      throw new Error('database unreachable');
    };
    await assert.rejects(h.service.appendBytes(alice, id, 0, pieces(data, [65536])), UnavailableError);
    const offset = failed.first! * MEDIA_CHUNK_SIZE;
    const stored = [...h.chunks.files.get(id)!.keys()];
    assert.ok(
      stored.some((n) => n > failed.first!),
      `strays beyond the gap are still stored (${stored.join(',')})`,
    );
    assert.equal((await h.service.uploadState(alice, id)).committedBytes, offset);

    h.chunks.storeGate = undefined;
    assert.equal(await h.service.appendBytes(alice, id, offset, pieces(data.subarray(offset))), data.length);
    assert.equal((await h.media.findById(id))?.sha256, sha256(data));
    assert.deepEqual(h.chunks.bytes(id), data);
  });

  it('lets the policy see every byte before it is stored: receivedBytes counts each store request', async () => {
    const seen: UploadChunkContext[] = [];
    class CountingPolicy extends AllowAllUploadPolicy {
      override async onChunk(ctx: UploadChunkContext): Promise<void> {
        seen.push(ctx);
      }
    }
    const h = mediaHarness({ policy: new CountingPolicy() });
    // Slow stores: bytes arrive faster than they are stored, so requests take several chunks.
    h.chunks.storeGate = () => new Promise((resolve) => setTimeout(resolve, 5));
    const data = randomBytes(12 * MEDIA_CHUNK_SIZE + 7);
    const id = await start(h, data.length);
    await h.service.appendBytes(alice, id, 0, pieces(data, [65536]));
    assert.ok(
      h.chunks.stores.some(([, count]) => count > 1),
      'some requests stored several chunks',
    );
    assert.equal(seen.length, h.chunks.stores.length, 'one hook call per store request');
    let end = 0;
    h.chunks.stores.forEach(([first, count], i) => {
      end = Math.min(data.length, (first + count) * MEDIA_CHUNK_SIZE);
      assert.equal(seen[i]!.receivedBytes, end, `request ${i} was announced with the bytes it stores`);
    });
    assert.equal(
      seen.reduce((sum, ctx) => sum + ctx.chunkBytes, 0),
      data.length,
    );
  });

  it('refuses a write at any offset other than the committed one', async () => {
    const h = mediaHarness();
    const id = await start(h, 100);
    await h.service.appendBytes(alice, id, 0, pieces(randomBytes(40)));
    await assert.rejects(h.service.appendBytes(alice, id, 0, pieces(randomBytes(10))), ConflictError);
  });

  it('refuses uploads larger than UPLOAD_MAX_BYTES before storing anything', async () => {
    const h = mediaHarness({ config: { UPLOAD_MAX_BYTES: 1000 } });
    h.access.members.add(`alice:${ROOM}`);
    await assert.rejects(
      h.service.startUpload(alice, h.service.newMediaId(), { roomId: ROOM, filename: 'a', size: 1001 }),
      PayloadTooLargeError,
    );
    assert.equal(h.media.records.size, 0);
  });

  it('refuses more bytes than declared and fails the upload', async () => {
    const h = mediaHarness();
    const id = await start(h, 10);
    await assert.rejects(h.service.appendBytes(alice, id, 0, pieces(randomBytes(11))), PayloadTooLargeError);
    assert.equal((await h.media.findById(id))?.status, 'failed');
  });

  it('refuses uploads to rooms the user is not a member of', async () => {
    const h = mediaHarness();
    await assert.rejects(
      h.service.startUpload(bob, h.service.newMediaId(), { roomId: ROOM, filename: 'a', size: 1 }),
      ForbiddenError,
    );
  });

  it('lets only the uploader write or resume an upload', async () => {
    const h = mediaHarness();
    const id = await start(h, 10);
    await assert.rejects(h.service.appendBytes(bob, id, 0, pieces(randomBytes(10))), ForbiddenError);
    await assert.rejects(h.service.uploadState(bob, id), ForbiddenError);
  });

  it('a policy that throws mid-stream fails the upload with its message and removes every stored chunk', async () => {
    class QuotaPolicy extends AllowAllUploadPolicy {
      seen: number[] = [];
      override async onChunk(ctx: UploadChunkContext): Promise<void> {
        this.seen.push(ctx.receivedBytes);
        if (ctx.receivedBytes > 2 * MEDIA_CHUNK_SIZE) throw new RejectedError('storage quota exceeded');
      }
    }
    const policy = new QuotaPolicy();
    const h = mediaHarness({ policy });
    const id = await start(h, 4 * MEDIA_CHUNK_SIZE);
    await assert.rejects(
      h.service.appendBytes(alice, id, 0, pieces(randomBytes(4 * MEDIA_CHUNK_SIZE))),
      /storage quota exceeded/,
    );
    assert.deepEqual(policy.seen, [MEDIA_CHUNK_SIZE, 2 * MEDIA_CHUNK_SIZE, 3 * MEDIA_CHUNK_SIZE]);
    assert.equal(h.chunks.files.has(id), false);
    const record = await h.media.findById(id);
    assert.equal(record?.status, 'failed');
    assert.equal(record?.failureReason, 'storage quota exceeded');
    assert.equal(h.events.named('media.failed')[0].reason, 'rejected');
  });

  it('fails uploads idle for UPLOAD_ABANDONED_SECONDS and deletes their chunks', async () => {
    const h = mediaHarness({ config: { UPLOAD_ABANDONED_SECONDS: 60 } });
    const idle = await start(h, 1000);
    const active = await start(h, 1000);
    await h.service.appendBytes(alice, idle, 0, pieces(randomBytes(100)));
    await h.service.appendBytes(alice, active, 0, pieces(randomBytes(100)));
    h.media.records.get(idle)!.updatedAt = new Date(Date.now() - 61_000);
    assert.equal(await h.service.sweepAbandoned(), 1);
    assert.equal((await h.media.findById(idle))?.status, 'failed');
    assert.equal(h.chunks.files.has(idle), false);
    assert.equal((await h.media.findById(active))?.status, 'uploading');
    assert.equal(h.events.named('media.failed')[0].reason, 'abandoned');
  });

  it('terminating an upload fails it as aborted and deletes its chunks', async () => {
    const h = mediaHarness();
    const id = await start(h, 1000);
    await h.service.appendBytes(alice, id, 0, pieces(randomBytes(10)));
    await h.service.terminate(alice, id);
    assert.equal(h.chunks.files.has(id), false);
    assert.equal(h.events.named('media.failed')[0].reason, 'aborted');
  });

  it('deletes the file, its chunks and thumbnail once the grace period after message deletion is over', async () => {
    const h = mediaHarness();
    const id = await start(h, 10);
    await h.service.appendBytes(alice, id, 0, pieces(randomBytes(10)));
    await h.service.attachMessage(id, 'm1');
    const now = new Date();
    await h.service.scheduleDeletionForMessage('m1', now);
    assert.equal(await h.service.purgeDeleted(now), 0);
    assert.equal(await h.service.purgeDeleted(new Date(now.getTime() + 10 * 60_000)), 1);
    assert.equal(h.media.records.has(id), false);
    assert.equal(h.chunks.files.has(id), false);
    assert.equal(h.chunks.filesDocs.has(id), false);
  });

  it('gives images upright dimensions and a metadata-free thumbnail', async () => {
    const h = mediaHarness();
    // 40x20 stored with EXIF orientation 6 (rotate 90°): upright it is 20x40.
    const image = await sharp({ create: { width: 40, height: 20, channels: 3, background: '#f00' } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const id = await start(h, image.length, 'photo.jpg');
    await h.service.appendBytes(alice, id, 0, pieces(image));
    const record = await h.media.findById(id);
    assert.equal(record?.contentType, 'image/jpeg');
    assert.deepEqual([record?.width, record?.height], [20, 40]);
    assert.equal(record?.hasThumbnail, true);
    const thumbnail = h.chunks.small.get(`${id}.thumbnail`)!.data;
    const meta = await sharp(thumbnail).metadata();
    assert.equal(meta.format, 'webp');
    assert.deepEqual([meta.width, meta.height], [20, 40]);
    assert.equal(meta.exif, undefined);
    assert.equal(meta.orientation, undefined);
  });
});

describe('GrowingFileReader', () => {
  it('a watcher reading while the uploader writes receives every byte exactly once and ends at completion', async () => {
    const h = mediaHarness();
    h.access.members.add(`bob:${ROOM}`);
    const data = randomBytes(5 * MEDIA_CHUNK_SIZE + 999);
    const id = await start(h, data.length);
    const record = await h.service.readable(bob, id);
    const watched = collect(h.reader.read(record));
    let ended = false;
    void watched.then(() => (ended = true));
    // Three separate requests, each ending mid-chunk, with pauses between them.
    const cuts = [0, 100_000, 3 * MEDIA_CHUNK_SIZE + 5, data.length];
    for (let i = 0; i < cuts.length - 1; i++) {
      await h.service.appendBytes(alice, id, cuts[i], pieces(data.subarray(cuts[i], cuts[i + 1]), [4096]));
      await new Promise((resolve) => setTimeout(resolve, 20));
      if (i < cuts.length - 2) assert.equal(ended, false, 'the watcher must not end before completion');
    }
    assert.deepEqual(await watched, data);
    assert.equal(h.reader.activeWatches, 0);
  });

  it('a watcher receives every byte exactly once while store requests finish out of order', async () => {
    const h = mediaHarness();
    h.access.members.add(`bob:${ROOM}`);
    // Every third request is slow, so the ones behind it finish first.
    h.chunks.storeGate = (first) => new Promise((resolve) => setTimeout(resolve, first % 3 === 0 ? 15 : 1));
    const data = randomBytes(10 * MEDIA_CHUNK_SIZE + 4321);
    const id = await start(h, data.length);
    const notices: number[] = [];
    h.bus.subscribe('media.chunk', (n) => notices.push(n.committedBytes));
    const watched = collect(h.reader.read(await h.service.readable(bob, id)));
    await h.service.appendBytes(alice, id, 0, pieces(data, [65536]));
    assert.deepEqual(await watched, data);
    assert.deepEqual(
      notices,
      [...notices].sort((a, b) => a - b),
      'notices only move forward',
    );
  });

  it('a watcher of an upload that fails gets an error instead of a short file', async () => {
    const h = mediaHarness();
    const id = await start(h, 1000);
    await h.service.appendBytes(alice, id, 0, pieces(randomBytes(10)));
    const watched = collect(h.reader.read((await h.media.findById(id))!));
    await h.service.terminate(alice, id);
    await assert.rejects(watched, /failed/);
  });

  it('a watcher that disconnects while waiting is released at once', async () => {
    const h = mediaHarness();
    const id = await start(h, 1000);
    const aborted = new AbortController();
    const watched = collect(h.reader.read((await h.media.findById(id))!, { signal: aborted.signal }));
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(h.reader.activeWatches, 1);
    aborted.abort();
    await assert.rejects(watched);
    assert.equal(h.reader.activeWatches, 0);
  });
});

describe('MediaDeliveryService', () => {
  async function completed(h: MediaHarness, data: Buffer, name = 'f.bin') {
    h.access.members.add(`bob:${ROOM}`);
    const id = await start(h, data.length, name);
    await h.service.appendBytes(alice, id, 0, pieces(data));
    return id;
  }
  const get = (headers: Record<string, string> = {}) => ({ method: 'GET', ...headers });

  it('serves byte ranges from the chunk holding the first byte: open-ended, suffix, multi-chunk', async () => {
    const h = mediaHarness();
    const data = randomBytes(3 * MEDIA_CHUNK_SIZE + 10);
    const id = await completed(h, data);
    const cases: [string, number, number][] = [
      ['bytes=0-0', 0, 0],
      [`bytes=${MEDIA_CHUNK_SIZE}-`, MEDIA_CHUNK_SIZE, data.length - 1],
      ['bytes=-10', data.length - 10, data.length - 1],
      [
        `bytes=${MEDIA_CHUNK_SIZE - 3}-${2 * MEDIA_CHUNK_SIZE + 3}`,
        MEDIA_CHUNK_SIZE - 3,
        2 * MEDIA_CHUNK_SIZE + 3,
      ],
      [`bytes=100-${data.length + 500}`, 100, data.length - 1],
    ];
    for (const [range, start, end] of cases) {
      const res = await h.delivery.file(bob, id, get({ range }));
      assert.equal(res.status, 206, range);
      assert.equal(res.headers['Content-Range'], `bytes ${start}-${end}/${data.length}`);
      assert.equal(res.headers['Content-Length'], String(end - start + 1));
      assert.deepEqual(await collect(res.body!), data.subarray(start, end + 1), range);
    }
  });

  it('serves ranges of a file still uploading: the stored prefix at once, later bytes as they arrive', async () => {
    const h = mediaHarness();
    h.access.members.add(`bob:${ROOM}`);
    const data = randomBytes(6 * MEDIA_CHUNK_SIZE + 77);
    const id = await start(h, data.length);
    const stored = 2 * MEDIA_CHUNK_SIZE + 500;
    await h.service.appendBytes(alice, id, 0, pieces(data.subarray(0, stored)));

    const closed = await h.delivery.file(
      bob,
      id,
      get({ range: `bytes=${MEDIA_CHUNK_SIZE + 1}-${stored - 1}` }),
    );
    assert.equal(closed.status, 206);
    assert.equal(
      closed.headers['Content-Range'],
      `bytes ${MEDIA_CHUNK_SIZE + 1}-${stored - 1}/${data.length}`,
    );
    assert.deepEqual(await collect(closed.body!), data.subarray(MEDIA_CHUNK_SIZE + 1, stored));

    const from = MEDIA_CHUNK_SIZE + 12_345;
    const open = await h.delivery.file(bob, id, get({ range: `bytes=${from}-` }));
    assert.equal(open.status, 206);
    assert.equal(open.headers['Content-Range'], `bytes ${from}-${data.length - 1}/${data.length}`);
    assert.equal(open.headers['Content-Length'], String(data.length - from));
    assert.equal(open.headers['X-Media-Status'], 'uploading');
    let ended = false;
    const body = collect(open.body!).finally(() => (ended = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(ended, false, 'an open-ended range follows the file until it completes');
    await h.service.appendBytes(alice, id, stored, pieces(data.subarray(stored)));
    assert.deepEqual(await body, data.subarray(from));

    const past = await start(h, 1000);
    const unsatisfiable = await h.delivery.file(bob, past, get({ range: 'bytes=1000-' }));
    assert.deepEqual([unsatisfiable.status, unsatisfiable.headers['Content-Range']], [416, 'bytes */1000']);
    const whole = await h.delivery.file(bob, past, get({ range: 'bytes=0-', ifRange: '"x"' }));
    assert.equal(whole.status, 200, 'If-Range cannot match a file that has no validator yet');
  });

  it('serves a file still uploading with the type completion will sniff once its first chunk is stored', async () => {
    const h = mediaHarness();
    h.access.members.add(`bob:${ROOM}`);
    const webm = Buffer.concat([
      Buffer.from('1a45dfa3a34286810142f7810142f2810442f381084282847765626d4287810442858102', 'hex'),
      randomBytes(2 * MEDIA_CHUNK_SIZE),
    ]);
    const id = await start(h, webm.length, 'clip.webm');
    await h.service.appendBytes(alice, id, 0, pieces(webm.subarray(0, 1000)));
    const early = await h.delivery.file(bob, id, get({ method: 'HEAD' }));
    assert.equal(early.headers['Content-Type'], 'application/octet-stream');
    assert.match(early.headers['Content-Disposition'], /^attachment/);
    await h.service.appendBytes(alice, id, 1000, pieces(webm.subarray(1000, MEDIA_CHUNK_SIZE + 1)));
    const sniffed = await h.delivery.file(bob, id, get({ method: 'HEAD' }));
    assert.equal(sniffed.headers['Content-Type'], 'video/webm');
    assert.match(sniffed.headers['Content-Disposition'], /^inline/);
    assert.equal(sniffed.headers['X-Content-Type-Options'], 'nosniff');

    const html = Buffer.concat([
      Buffer.from('<!doctype html><script>alert(1)</script>'),
      randomBytes(MEDIA_CHUNK_SIZE),
    ]);
    const htmlId = await start(h, html.length + 10, 'page.bin');
    await h.service.appendBytes(alice, htmlId, 0, pieces(html));
    const htmlRes = await h.delivery.file(bob, htmlId, get({ method: 'HEAD' }));
    assert.equal(htmlRes.headers['Content-Type'], 'text/html');
    assert.match(htmlRes.headers['Content-Disposition'], /^attachment/);
  });

  it('answers an unsatisfiable range with 416 and the length', async () => {
    const h = mediaHarness();
    const data = randomBytes(100);
    const id = await completed(h, data);
    const res = await h.delivery.file(bob, id, get({ range: 'bytes=100-' }));
    assert.equal(res.status, 416);
    assert.equal(res.headers['Content-Range'], 'bytes */100');
    assert.equal(res.body, undefined);
  });

  it('honours If-None-Match with 304 and If-Range only while the validator matches', async () => {
    const h = mediaHarness();
    const data = randomBytes(100);
    const id = await completed(h, data);
    const full = await h.delivery.file(bob, id, get());
    assert.equal(full.status, 200);
    assert.equal(full.headers.ETag, `"${sha256(data)}"`);
    assert.deepEqual(await collect(full.body!), data);
    assert.equal((await h.delivery.file(bob, id, get({ ifNoneMatch: full.headers.ETag }))).status, 304);
    assert.equal(
      (await h.delivery.file(bob, id, get({ range: 'bytes=0-9', ifRange: full.headers.ETag }))).status,
      206,
    );
    assert.equal(
      (await h.delivery.file(bob, id, get({ range: 'bytes=0-9', ifRange: '"other"' }))).status,
      200,
    );
  });

  it('serves the sniffed type, never the declared one, and executable types as attachments', async () => {
    const h = mediaHarness();
    const png = await sharp({ create: { width: 2, height: 2, channels: 3, background: '#000' } })
      .png()
      .toBuffer();
    const pngId = await completed(h, png, 'page.html');
    const pngRes = await h.delivery.file(bob, pngId, get());
    assert.equal(pngRes.headers['Content-Type'], 'image/png');
    assert.match(pngRes.headers['Content-Disposition'], /^inline/);
    assert.equal(pngRes.headers['X-Content-Type-Options'], 'nosniff');
    const htmlId = await completed(h, Buffer.from('<!DOCTYPE html><script>alert(1)</script>'), 'cat.png');
    const htmlRes = await h.delivery.file(bob, htmlId, get());
    assert.equal(htmlRes.headers['Content-Type'], 'text/html');
    assert.match(htmlRes.headers['Content-Disposition'], /^attachment/);
    const svgId = await completed(
      h,
      Buffer.from('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>'),
    );
    assert.equal((await h.delivery.file(bob, svgId, get())).headers['Content-Type'], 'image/svg+xml');
  });

  it('denies non-members and unknown ids alike', async () => {
    const h = mediaHarness();
    const id = await completed(h, randomBytes(10));
    await assert.rejects(h.delivery.file(userNamed('carol'), id, get()), ForbiddenError);
    await assert.rejects(h.delivery.file(bob, 'f'.repeat(32), get()), /not found/);
  });
});
