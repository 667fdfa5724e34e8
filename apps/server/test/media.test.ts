import type { RoomView } from '@palaver/client';
import { MongoClient } from 'mongodb';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { ErrorBody, RejectedError } from '../src/common/domain-error';
import { MEDIA_CHUNK_SIZE } from '../src/media/media.entity';
import { UploadPolicy } from '../src/media/upload-policy';
import { getMedia, RawTus, sha256, tusUpload } from './media-helpers';
import { nextEvent } from './realtime-helpers';
import { registerUser, startTestServer, TestServer, TestUserClient, waitFor } from './utils';

describe('media uploads and reads through the real server', () => {
  let server: TestServer;
  let alice: TestUserClient;
  let bob: TestUserClient;
  let outsider: TestUserClient;
  let room: RoomView;

  before(async () => {
    server = await startTestServer();
    // The first account of an install is its admin, who may read every room; the test users come after.
    await registerUser(server);
    [alice, bob, outsider] = await Promise.all([
      registerUser(server),
      registerUser(server),
      registerUser(server),
    ]);
    room = await alice.rooms.create({ name: 'media', kind: 'private' });
    await alice.rooms.invite(room.id, bob.user!.id);
    await bob.socket.connect();
  });

  after(async () => {
    alice?.socket.disconnect();
    bob?.socket.disconnect();
    await server?.close();
  });

  const meta = (filename: string, type = 'application/octet-stream') => ({ roomId: room.id, filename, type });
  const idOf = (url: string) => url.split('/').pop()!;

  for (const size of [0, 1, MEDIA_CHUNK_SIZE - 1, MEDIA_CHUNK_SIZE, MEDIA_CHUNK_SIZE + 1]) {
    it(`a ${size} byte file uploaded with tus-js-client reads back sha256-exact`, async () => {
      const data = randomBytes(size);
      const id = idOf(await tusUpload(server.url, alice, data, meta(`f${size}.bin`)));
      const res = await getMedia(server.url, bob, `/api/media/${id}`);
      assert.equal(res.status, 200);
      assert.equal(res.body.length, size);
      assert.equal(sha256(res.body), sha256(data));
      const info = (await getMedia(server.url, bob, `/api/media/${id}/info`)).body.toString();
      assert.equal(JSON.parse(info).sha256, sha256(data));
      assert.equal(JSON.parse(info).status, 'complete');
    });
  }

  it('announces the upload in the room with its attachment, then its completion', async () => {
    const announced = nextEvent(bob, 'message.created', (m) => Boolean(m.attachments?.length));
    const completed = nextEvent(bob, 'media.completed');
    const data = randomBytes(1000);
    const id = idOf(await tusUpload(server.url, alice, data, meta('notes.txt', 'text/plain')));
    const message = await announced;
    assert.equal(message.authorId, alice.user!.id);
    assert.deepEqual(message.attachments, [
      {
        mediaId: id,
        name: 'notes.txt',
        declaredType: 'text/plain',
        declaredSize: 1000,
        url: `/api/media/${id}`,
      },
    ]);
    const done = await completed;
    assert.equal(done.mediaId, id);
    assert.equal(done.sha256, sha256(data));
    const history = await bob.messages.history(room.id);
    assert.ok(history.messages.some((m) => m.attachments?.[0]?.mediaId === id));
  });

  it('a watcher reading while the uploader writes receives every byte exactly once and ends at completion', async () => {
    const tus = new RawTus(server.url, alice);
    const data = randomBytes(3 * MEDIA_CHUNK_SIZE + 500);
    const id = await tus.start(meta('live.mp4', 'video/mp4'), data.length);
    const res = await fetch(`${server.url}/api/media/${id}`, {
      headers: { authorization: `Bearer ${bob.accessToken}` },
      signal: AbortSignal.timeout(20_000),
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-media-status'), 'uploading');
    const reader = res.body!.getReader();
    const received: Buffer[] = [];
    let total = 0;
    let ended = false;
    const readUntil = async (bytes: number) => {
      while (total < bytes) {
        const { value, done } = await reader.read();
        if (done) {
          ended = true;
          return;
        }
        received.push(Buffer.from(value));
        total += value.length;
      }
    };
    const cuts = [0, MEDIA_CHUNK_SIZE + 10, 2 * MEDIA_CHUNK_SIZE, data.length];
    for (let i = 0; i < cuts.length - 1; i++) {
      const patch = await tus.patch(id, cuts[i], data.subarray(cuts[i], cuts[i + 1]));
      assert.equal(patch.status, 204);
      await Promise.race([readUntil(cuts[i + 1]), timeout(5000, `watcher to reach ${cuts[i + 1]} bytes`)]);
      assert.equal(total, cuts[i + 1], 'the watcher has exactly the bytes stored so far');
      assert.equal(ended, false);
    }
    const { done } = await Promise.race([reader.read(), timeout(5000, 'the watcher stream to end')]);
    assert.equal(done, true);
    assert.equal(sha256(Buffer.concat(received)), sha256(data));
  });

  it('a Range read during the upload returns exactly the requested bytes and ends at completion', async () => {
    const tus = new RawTus(server.url, alice);
    const data = randomBytes(5 * MEDIA_CHUNK_SIZE + 321);
    const id = await tus.start(meta('seek.webm', 'video/webm'), data.length);
    const stored = 2 * MEDIA_CHUNK_SIZE + 1000;
    assert.equal((await tus.patch(id, 0, data.subarray(0, stored))).status, 204);

    const inside = await getMedia(server.url, bob, `/api/media/${id}`, { range: `bytes=100-${stored - 1}` });
    assert.equal(inside.status, 206);
    assert.equal(inside.headers.get('content-range'), `bytes 100-${stored - 1}/${data.length}`);
    assert.deepEqual(inside.body, data.subarray(100, stored));

    const from = MEDIA_CHUNK_SIZE + 4242;
    const res = await fetch(`${server.url}/api/media/${id}`, {
      headers: { authorization: `Bearer ${bob.accessToken}`, range: `bytes=${from}-` },
      signal: AbortSignal.timeout(20_000),
    });
    assert.equal(res.status, 206);
    assert.equal(res.headers.get('content-range'), `bytes ${from}-${data.length - 1}/${data.length}`);
    assert.equal(res.headers.get('content-length'), String(data.length - from));
    assert.equal(res.headers.get('accept-ranges'), 'bytes');
    const reader = res.body!.getReader();
    const received: Buffer[] = [];
    let total = 0;
    const readUntil = async (bytes: number) => {
      while (total < bytes) {
        const { value, done } = await reader.read();
        if (done) return;
        received.push(Buffer.from(value));
        total += value.length;
      }
    };
    await Promise.race([readUntil(stored - from), timeout(5000, 'the stored part of the range')]);
    assert.equal(total, stored - from, 'the range starts with exactly the bytes stored so far');
    assert.equal((await tus.patch(id, stored, data.subarray(stored))).status, 204);
    await Promise.race([readUntil(data.length - from), timeout(5000, 'the rest of the range')]);
    const { done } = await Promise.race([reader.read(), timeout(5000, 'the range to end')]);
    assert.equal(done, true);
    assert.deepEqual(Buffer.concat(received), data.subarray(from));
  });

  it('resumes after the connection is killed mid-way, from the bytes the server kept', async () => {
    const tus = new RawTus(server.url, alice);
    const data = randomBytes(2 * MEDIA_CHUNK_SIZE + 12345);
    const id = await tus.start(meta('resumed.bin'), data.length);
    await tus.patchAndDrop(id, 0, data, MEDIA_CHUNK_SIZE + 777);
    let offset = 0;
    await waitFor(async () => (offset = await tus.offset(id)) > 0, 5000, 'the offset to advance');
    assert.ok(offset <= MEDIA_CHUNK_SIZE + 777, `offset ${offset} must not exceed what was sent`);
    // The standard client picks up from the server's offset.
    await tusUpload(server.url, alice, data, meta('resumed.bin'), {
      uploadUrl: `${server.url}/api/media/uploads/${id}`,
    });
    const res = await getMedia(server.url, alice, `/api/media/${id}`);
    assert.equal(sha256(res.body), sha256(data));
  });

  it('a second PATCH on an upload in progress ends the first where its bytes stopped, and is refused at a stale offset', async () => {
    const tus = new RawTus(server.url, alice);
    const data = randomBytes(3 * MEDIA_CHUNK_SIZE + 999);
    const id = await tus.start(meta('contended.bin'), data.length);
    const first = tus.openPatch(id, 0, data.length);
    const sent = MEDIA_CHUNK_SIZE + 500;
    await first.write(data.subarray(0, sent));
    // Let the server take in what was sent before the second request asks for the upload.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const second = await tus.patch(id, 0, Buffer.alloc(1000));
    const firstAnswer = await first.response;
    assert.equal(firstAnswer.status, 204, 'the first request ends with what it stored');
    const stored = firstAnswer.offset;
    assert.ok(stored > 0 && stored <= sent, `stored ${stored} of the ${sent} bytes sent`);
    assert.equal(second.status, 409, 'the second request names an offset that is no longer current');
    assert.equal(await tus.offset(id), stored);
    const rest = await tus.patch(id, stored, data.subarray(stored));
    assert.equal(rest.status, 204);
    assert.equal(Number(rest.headers.get('upload-offset')), data.length);
    const res = await getMedia(server.url, alice, `/api/media/${id}`);
    assert.equal(sha256(res.body), sha256(data), 'the second request wrote none of its bytes');
  });

  it('answers PATCH as tus specifies: 412, 415, 400, 409 before storing anything, then 204 with the new offset', async () => {
    const tus = new RawTus(server.url, alice);
    const id = await tus.start(meta('rules.bin'), 10);
    const patch = (headers: Record<string, string>, body = Buffer.from('hello')) =>
      fetch(`${server.url}/api/media/uploads/${id}`, {
        method: 'PATCH',
        headers: {
          authorization: `Bearer ${alice.accessToken}`,
          'tus-resumable': '1.0.0',
          'upload-offset': '0',
          'content-type': 'application/offset+octet-stream',
          ...headers,
        },
        body,
      });
    const noVersion = await patch({ 'tus-resumable': '0.2.2' });
    assert.deepEqual([noVersion.status, noVersion.headers.get('tus-version')], [412, '1.0.0']);
    const wrongType = await patch({ 'content-type': 'application/octet-stream' });
    assert.equal(wrongType.status, 415);
    assert.equal(((await wrongType.json()) as ErrorBody).error.field, 'Content-Type');
    const badOffset = await patch({ 'upload-offset': '-1' });
    assert.equal(badOffset.status, 400);
    assert.equal(((await badOffset.json()) as ErrorBody).error.field, 'Upload-Offset');
    const wrongOffset = await patch({ 'upload-offset': '3' });
    assert.equal(wrongOffset.status, 409);
    assert.equal(await tus.offset(id), 0);
    const ok = await patch({});
    assert.deepEqual(
      [ok.status, ok.headers.get('upload-offset'), ok.headers.get('tus-resumable')],
      [204, '5', '1.0.0'],
    );
    const rest = await patch({ 'upload-offset': '5' }, Buffer.from('world'));
    assert.equal(rest.status, 204);
    assert.equal((await getMedia(server.url, bob, `/api/media/${id}`)).body.toString(), 'helloworld');
    const missing = await fetch(`${server.url}/api/media/uploads/${'0'.repeat(32)}`, {
      method: 'PATCH',
      headers: {
        authorization: `Bearer ${alice.accessToken}`,
        'tus-resumable': '1.0.0',
        'upload-offset': '0',
        'content-type': 'application/offset+octet-stream',
      },
      body: Buffer.from('x'),
    });
    assert.equal(missing.status, 404);
  });

  it('serves Range requests of completed files: 206 spans, suffix, open-ended, 416, conditional', async () => {
    const data = randomBytes(2 * MEDIA_CHUNK_SIZE + 100);
    const id = idOf(await tusUpload(server.url, alice, data, meta('range.bin')));
    const path = `/api/media/${id}`;
    const span = await getMedia(server.url, bob, path, {
      range: `bytes=${MEDIA_CHUNK_SIZE - 5}-${MEDIA_CHUNK_SIZE + 5}`,
    });
    assert.equal(span.status, 206);
    assert.deepEqual(span.body, data.subarray(MEDIA_CHUNK_SIZE - 5, MEDIA_CHUNK_SIZE + 6));
    assert.equal(
      span.headers.get('content-range'),
      `bytes ${MEDIA_CHUNK_SIZE - 5}-${MEDIA_CHUNK_SIZE + 5}/${data.length}`,
    );
    const suffix = await getMedia(server.url, bob, path, { range: 'bytes=-7' });
    assert.deepEqual(suffix.body, data.subarray(data.length - 7));
    const open = await getMedia(server.url, bob, path, { range: `bytes=${2 * MEDIA_CHUNK_SIZE}-` });
    assert.deepEqual(open.body, data.subarray(2 * MEDIA_CHUNK_SIZE));
    const unsatisfiable = await getMedia(server.url, bob, path, { range: `bytes=${data.length}-` });
    assert.equal(unsatisfiable.status, 416);
    assert.equal(unsatisfiable.headers.get('content-range'), `bytes */${data.length}`);
    const etag = span.headers.get('etag')!;
    assert.equal((await getMedia(server.url, bob, path, { 'if-none-match': etag })).status, 304);
    const stale = await getMedia(server.url, bob, path, { range: 'bytes=0-0', 'if-range': '"stale"' });
    assert.equal(stale.status, 200);
    assert.equal(stale.body.length, data.length);
    assert.equal(span.headers.get('accept-ranges'), 'bytes');
    assert.equal(span.headers.get('content-encoding'), null);
  });

  it('serves the type sniffed from the bytes: a png declared text/html is image/png, html is an attachment', async () => {
    const png = await sharp({ create: { width: 600, height: 300, channels: 3, background: '#08f' } })
      .png()
      .toBuffer();
    const pngId = idOf(await tusUpload(server.url, alice, png, meta('evil.html', 'text/html')));
    const pngRes = await getMedia(server.url, bob, `/api/media/${pngId}`);
    assert.equal(pngRes.headers.get('content-type'), 'image/png');
    assert.equal(pngRes.headers.get('x-content-type-options'), 'nosniff');
    const info = JSON.parse((await getMedia(server.url, bob, `/api/media/${pngId}/info`)).body.toString());
    assert.deepEqual([info.width, info.height], [600, 300]);
    const thumb = await getMedia(server.url, bob, info.thumbnailUrl);
    assert.equal(thumb.status, 200);
    assert.equal(thumb.headers.get('content-type'), 'image/webp');
    const thumbMeta = await sharp(thumb.body).metadata();
    assert.deepEqual([thumbMeta.width, thumbMeta.height], [320, 160]);

    const html = Buffer.from('<html><body><script>alert(document.cookie)</script></body></html>');
    const htmlId = idOf(await tusUpload(server.url, alice, html, meta('cat.png', 'image/png')));
    const htmlRes = await getMedia(server.url, bob, `/api/media/${htmlId}`);
    assert.equal(htmlRes.headers.get('content-type'), 'text/html');
    assert.match(htmlRes.headers.get('content-disposition') ?? '', /^attachment/);
  });

  it('denies non-members: no reads, no thumbnails, no uploads into the room', async () => {
    const data = randomBytes(100);
    const id = idOf(await tusUpload(server.url, alice, data, meta('private.bin')));
    for (const path of [`/api/media/${id}`, `/api/media/${id}/info`, `/api/media/${id}/thumbnail`]) {
      const res = await getMedia(server.url, outsider, path);
      assert.ok([403, 404].includes(res.status), `${path}: ${res.status}`);
      assert.notDeepEqual(res.body, data);
    }
    const res = await new RawTus(server.url, outsider).create(meta('x.bin'), 10);
    assert.ok([403, 404].includes(res.status), `upload: ${res.status}`);
    const anonymous = await fetch(`${server.url}/api/media/${id}`);
    assert.equal(anonymous.status, 401);
  });

  it('refuses an Upload-Length above UPLOAD_MAX_BYTES before anything is stored', async () => {
    const res = await new RawTus(server.url, alice).create(meta('huge.bin'), 1024 * 1024 * 1024 + 1);
    assert.equal(res.status, 413);
  });

  it('a policy that aborts mid-stream fails the PATCH with its reason and leaves no chunks', async () => {
    const policy = server.app.get(UploadPolicy, { strict: false });
    const original = policy.onChunk.bind(policy);
    policy.onChunk = async (ctx) => {
      if (ctx.receivedBytes > 2 * MEDIA_CHUNK_SIZE) throw new RejectedError('storage quota exceeded');
    };
    try {
      const tus = new RawTus(server.url, alice);
      const id = await tus.start(meta('quota.bin'), 4 * MEDIA_CHUNK_SIZE);
      const failed = nextEvent(bob, 'media.failed', (e) => e.mediaId === id);
      const res = await tus.patch(id, 0, randomBytes(4 * MEDIA_CHUNK_SIZE));
      assert.equal(res.status, 422);
      assert.deepEqual(await res.json(), { error: { code: 'rejected', message: 'storage quota exceeded' } });
      const event = await failed;
      assert.deepEqual([event.reason, event.message], ['rejected', 'storage quota exceeded']);
      assert.equal(await countChunks(server.mongoUrl, id), 0);
      const head = await fetch(`${server.url}/api/media/uploads/${id}`, {
        method: 'HEAD',
        headers: { authorization: `Bearer ${alice.accessToken}`, 'tus-resumable': '1.0.0' },
      });
      assert.equal(head.status, 410);
    } finally {
      policy.onChunk = original;
    }
  });

  it('deleting the attachment message stops serving the file and schedules its chunks for removal', async () => {
    const announced = nextEvent(bob, 'message.created', (m) => m.attachments?.[0]?.name === 'doomed.bin');
    const id = idOf(await tusUpload(server.url, alice, randomBytes(5000), meta('doomed.bin')));
    const message = await announced;
    assert.equal((await getMedia(server.url, bob, `/api/media/${id}`)).status, 200);
    await alice.messages.delete(message.id);
    await waitFor(
      async () => (await getMedia(server.url, bob, `/api/media/${id}`)).status === 404,
      5000,
      'the file to stop being served',
    );
    const client = await MongoClient.connect(server.mongoUrl);
    try {
      const record = await client
        .db('palaver')
        .collection('media')
        .findOne({ _id: id as never });
      assert.ok(record?.deleteAfter instanceof Date && record.deleteAfter.getTime() > Date.now());
    } finally {
      await client.close();
    }
  });

  it('terminating an upload (tus DELETE) removes its chunks and the room learns it was aborted', async () => {
    const tus = new RawTus(server.url, alice);
    const id = await tus.start(meta('cancel.bin'), 3 * MEDIA_CHUNK_SIZE);
    await tus.patch(id, 0, randomBytes(MEDIA_CHUNK_SIZE + 1));
    const failed = nextEvent(bob, 'media.failed', (e) => e.mediaId === id);
    const res = await fetch(`${server.url}/api/media/uploads/${id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${alice.accessToken}`, 'tus-resumable': '1.0.0' },
    });
    assert.equal(res.status, 204);
    assert.equal((await failed).reason, 'aborted');
    assert.equal(await countChunks(server.mongoUrl, id), 0);
  });
});

describe('media across restarts and abandonment', () => {
  it('an upload resumes after the server restarts, from the offset it had stored', async () => {
    let server = await startTestServer({ dataDir: await tempDir() });
    const dataDir = server.dataDir;
    try {
      const alice = await registerUser(server);
      const room = await alice.rooms.create({ name: 'restart', kind: 'private' });
      const data = randomBytes(2 * MEDIA_CHUNK_SIZE + 999);
      const tus = new RawTus(server.url, alice);
      const id = await tus.start({ roomId: room.id, filename: 'r.bin' }, data.length);
      const half = MEDIA_CHUNK_SIZE + 4321;
      assert.equal((await tus.patch(id, 0, data.subarray(0, half))).status, 204);
      await server.close();
      server = await startTestServer({ dataDir });
      const resumed = new RawTus(server.url, alice);
      assert.equal(await resumed.offset(id), half);
      await tusUpload(
        server.url,
        alice,
        data,
        { roomId: room.id, filename: 'r.bin' },
        {
          uploadUrl: `${server.url}/api/media/uploads/${id}`,
        },
      );
      const res = await getMedia(server.url, alice, `/api/media/${id}`);
      assert.equal(sha256(res.body), sha256(data));
    } finally {
      await server.close();
      await removeDir(dataDir);
    }
  });

  it('an upload that receives no bytes for UPLOAD_ABANDONED_SECONDS is failed and its chunks deleted', async () => {
    const server = await startTestServer({ env: { UPLOAD_ABANDONED_SECONDS: '1' } });
    try {
      const alice = await registerUser(server);
      const room = await alice.rooms.create({ name: 'idle', kind: 'private' });
      const tus = new RawTus(server.url, alice);
      const id = await tus.start({ roomId: room.id, filename: 'idle.bin' }, 10 * MEDIA_CHUNK_SIZE);
      await tus.patch(id, 0, randomBytes(2 * MEDIA_CHUNK_SIZE));
      assert.equal(await countChunks(server.mongoUrl, id), 2);
      await waitFor(
        async () =>
          JSON.parse((await getMedia(server.url, alice, `/api/media/${id}/info`)).body.toString()).status ===
          'failed',
        8000,
        'the sweeper to fail the idle upload',
      );
      assert.equal(await countChunks(server.mongoUrl, id), 0);
      const head = await fetch(`${server.url}/api/media/uploads/${id}`, {
        method: 'HEAD',
        headers: { authorization: `Bearer ${alice.accessToken}`, 'tus-resumable': '1.0.0' },
      });
      assert.equal(head.status, 410);
    } finally {
      await server.close();
    }
  });
});

function timeout(ms: number, what: string): Promise<never> {
  return new Promise((_, reject) =>
    setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms).unref(),
  );
}

async function countChunks(mongoUrl: string, id: string): Promise<number> {
  const client = await MongoClient.connect(mongoUrl);
  try {
    return await client.db('palaver').collection('fs.chunks').countDocuments({ files_id: id });
  } finally {
    await client.close();
  }
}

async function tempDir(): Promise<string> {
  const { mkdtemp } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  return mkdtemp(join(tmpdir(), 'palaver-media-restart-'));
}

async function removeDir(dir: string): Promise<void> {
  const { rm } = await import('node:fs/promises');
  await rm(dir, { recursive: true, force: true });
}
