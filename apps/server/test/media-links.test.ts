import { PalaverApiError, type RoomView } from '@palaver/client';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { MEDIA_CHUNK_SIZE } from '../src/media/media.entity';
import { deriveMediaLinkKey, mediaLinkSignature } from '../src/media/media-link.signer';
import { RawTus, sha256, tusUpload } from './media-helpers';
import { registerUser, startTestServer, TestServer, TestUserClient } from './utils';

const TOKEN_SECRET = randomBytes(32).toString('hex');

/** A plain GET with no Authorization header: what `<video src>` / `<img src>` send. */
async function getWithoutHeader(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: Buffer }> {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(30_000) });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

function errorCode(body: Buffer): string {
  return (JSON.parse(body.toString()) as { error: { code: string } }).error.code;
}

function timeout(ms: number, what: string): Promise<never> {
  return new Promise((_, reject) =>
    setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms).unref(),
  );
}

describe('signed media links (GET /api/media/:id/link) through the real server', () => {
  let server: TestServer;
  let alice: TestUserClient;
  let bob: TestUserClient;
  let outsider: TestUserClient;
  let room: RoomView;

  before(async () => {
    server = await startTestServer({ env: { TOKEN_SECRET } });
    // The first account of an install is its admin, who may read every room; the test users come after.
    await registerUser(server);
    [alice, bob, outsider] = await Promise.all([
      registerUser(server),
      registerUser(server),
      registerUser(server),
    ]);
    room = await alice.rooms.create({ name: 'links', kind: 'private' });
    await alice.rooms.invite(room.id, bob.user.id);
  });

  after(async () => {
    await server?.close();
  });

  const meta = (filename: string, type = 'application/octet-stream') => ({ roomId: room.id, filename, type });
  const idOf = (url: string) => url.split('/').pop()!;

  it('a member’s signed link serves the file and its thumbnail without a header, Range and ETag included', async () => {
    const png = await sharp({ create: { width: 400, height: 200, channels: 3, background: '#f80' } })
      .png()
      .toBuffer();
    const id = idOf(await tusUpload(server.url, alice, png, meta('photo.png', 'image/png')));
    const link = await bob.media.link(id);
    assert.ok(link.url.startsWith(`${server.url}/api/media/${id}?`));
    assert.ok(Date.parse(link.expiresAt) > Date.now());
    assert.ok(Date.parse(link.expiresAt) <= Date.now() + 10 * 60_000);

    const whole = await getWithoutHeader(link.url);
    assert.equal(whole.status, 200);
    assert.equal(whole.headers.get('content-type'), 'image/png');
    assert.equal(sha256(whole.body), sha256(png));

    const range = await getWithoutHeader(link.url, { range: 'bytes=10-29' });
    assert.equal(range.status, 206);
    assert.equal(range.headers.get('content-range'), `bytes 10-29/${png.length}`);
    assert.deepEqual(range.body, png.subarray(10, 30));

    // Other query parameters (a cache buster) are ignored, with a link and with the Bearer header.
    assert.equal((await getWithoutHeader(`${link.url}&t=1`)).status, 200);
    const bearer = { authorization: `Bearer ${bob.accessToken}` };
    assert.equal((await getWithoutHeader(`${server.url}/api/media/${id}?t=1`, bearer)).status, 200);

    const etag = whole.headers.get('etag')!;
    assert.equal((await getWithoutHeader(link.url, { 'if-none-match': etag })).status, 304);

    assert.ok(link.thumbnailUrl, 'a completed png has a thumbnail link');
    const thumb = await getWithoutHeader(link.thumbnailUrl);
    assert.equal(thumb.status, 200);
    assert.equal(thumb.headers.get('content-type'), 'image/webp');
    assert.equal((await sharp(thumb.body).metadata()).width, 320);
  });

  it('a signed link of a file still uploading streams every byte live and ends at completion', async () => {
    const tus = new RawTus(server.url, alice);
    const data = randomBytes(2 * MEDIA_CHUNK_SIZE + 321);
    const id = await tus.start(meta('live.mp4', 'video/mp4'), data.length);
    const half = MEDIA_CHUNK_SIZE + 17;
    assert.equal((await tus.patch(id, 0, data.subarray(0, half))).status, 204);

    const link = await bob.media.link(id);
    const res = await fetch(link.url, { signal: AbortSignal.timeout(20_000) });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-media-status'), 'uploading');
    const reader = res.body!.getReader();
    const received: Buffer[] = [];
    let total = 0;
    const readUntil = async (bytes: number): Promise<void> => {
      while (total < bytes) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended at ${total} of ${bytes} bytes`);
        received.push(Buffer.from(value));
        total += value.length;
      }
    };
    await Promise.race([readUntil(half), timeout(5000, `the reader to get ${half} bytes`)]);
    assert.equal(total, half, 'the reader has exactly the bytes stored so far');

    assert.equal((await tus.patch(id, half, data.subarray(half))).status, 204);
    await Promise.race([readUntil(data.length), timeout(5000, 'the rest of the bytes')]);
    const { done } = await Promise.race([reader.read(), timeout(5000, 'the stream to end')]);
    assert.equal(done, true);
    assert.equal(sha256(Buffer.concat(received)), sha256(data));
  });

  it('refuses tampered, foreign, incomplete and expired signatures with the error body', async () => {
    const first = idOf(await tusUpload(server.url, alice, randomBytes(500), meta('a.bin')));
    const second = idOf(await tusUpload(server.url, alice, randomBytes(500), meta('b.bin')));
    const link = new URL((await bob.media.link(first)).url);
    const query = (changes: Record<string, string | null>, id = first): string => {
      const url = new URL(`/api/media/${id}`, server.url);
      for (const [key, value] of link.searchParams) url.searchParams.set(key, value);
      for (const [key, value] of Object.entries(changes)) {
        if (value === null) url.searchParams.delete(key);
        else url.searchParams.set(key, value);
      }
      return url.toString();
    };
    const sig = link.searchParams.get('sig')!;
    const exp = Number(link.searchParams.get('exp'));
    const flipped = `${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}`;

    const refused: Array<[string, string, number]> = [
      ['a changed signature character', query({ sig: flipped }), 403],
      ['the signature of another media id', query({}, second), 403],
      ['another user id', query({ u: alice.user.id }), 403],
      ['a later expiry', query({ exp: String(exp + 3600) }), 403],
      ['no user id', query({ u: null }), 403],
      ['a truncated signature', query({ sig: sig.slice(0, 20) }), 403],
      ['a repeated sig parameter', `${query({})}&sig=${sig}`, 403],
    ];
    // Properly signed with the server's key, but already expired.
    const key = deriveMediaLinkKey(TOKEN_SECRET);
    const past = Math.floor(Date.now() / 1000) - 1;
    refused.push([
      'an expired link',
      query({ exp: String(past), sig: mediaLinkSignature(key, first, bob.user.id, past) }),
      401,
    ]);
    // The thumbnail route checks the same way.
    refused.push([
      'a changed signature on the thumbnail',
      query({ sig: flipped }).replace(first, `${first}/thumbnail`),
      403,
    ]);

    for (const [what, url, status] of refused) {
      const res = await getWithoutHeader(url);
      assert.equal(res.status, status, what);
      assert.equal(errorCode(res.body), status === 401 ? 'unauthorized' : 'forbidden', what);
    }
    // The genuine link still works, and no link at all is a plain 401.
    assert.equal((await getWithoutHeader(link.toString())).status, 200);
    assert.equal((await getWithoutHeader(`${server.url}/api/media/${first}`)).status, 401);
  });

  it('a non-member cannot get a link to a private room’s file, and anonymous callers cannot either', async () => {
    const id = idOf(await tusUpload(server.url, alice, randomBytes(100), meta('secret.bin')));
    await assert.rejects(outsider.media.link(id), (err: unknown) => {
      assert.ok(err instanceof PalaverApiError);
      assert.ok([403, 404].includes(err.status), `status ${err.status}`);
      return true;
    });
    const anonymous = await getWithoutHeader(`${server.url}/api/media/${id}/link`);
    assert.equal(anonymous.status, 401);
    await assert.rejects(bob.media.link('0'.repeat(32)), (err: unknown) => {
      assert.ok(err instanceof PalaverApiError);
      assert.equal(err.status, 404);
      return true;
    });
  });
});
