import { PalaverClient } from '@palaver/client';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { crc32, deflateSync } from 'node:zlib';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './support/browser';
import { startCluster, TestCluster } from './support/cluster';
import { waitFor } from './support/ports';

/** An RGB PNG of the given size, encoded here so the test needs no image library. */
function png(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, deflate, no filter method, no interlace
  const rows: Buffer[] = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * 3); // filter byte 0, then pixels
    for (let x = 0; x < width; x++) row.set([(x * 7) % 256, (y * 11) % 256, 128], 1 + x * 3);
    rows.push(row);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** The tus requests of one upload, spoken with fetch. */
class TusUpload {
  private constructor(
    private readonly client: PalaverClient,
    readonly id: string,
  ) {}

  private static headers(client: PalaverClient): Record<string, string> {
    return { authorization: `Bearer ${client.accessToken}`, 'tus-resumable': '1.0.0' };
  }

  /** Creates an upload of `length` bytes into `roomId`. */
  static async create(
    client: PalaverClient,
    roomId: string,
    name: string,
    length: number,
  ): Promise<TusUpload> {
    const meta = (value: string) => Buffer.from(value).toString('base64');
    const res = await fetch(`${client.baseUrl}/api/media/uploads`, {
      method: 'POST',
      headers: {
        ...TusUpload.headers(client),
        'upload-length': String(length),
        'upload-metadata': `roomId ${meta(roomId)},filename ${meta(name)}`,
      },
      signal: AbortSignal.timeout(10_000),
    });
    assert.equal(res.status, 201, await res.text());
    return new TusUpload(client, res.headers.get('location')!.split('/').pop()!);
  }

  async patch(offset: number, bytes: Buffer): Promise<void> {
    const res = await fetch(`${this.client.baseUrl}/api/media/uploads/${this.id}`, {
      method: 'PATCH',
      headers: {
        ...TusUpload.headers(this.client),
        'upload-offset': String(offset),
        'content-type': 'application/offset+octet-stream',
      },
      body: bytes,
      signal: AbortSignal.timeout(10_000),
    });
    assert.equal(res.status, 204, await res.text());
  }
}

/** Uploads `data` in one PATCH; returns the media id. */
async function upload(client: PalaverClient, roomId: string, name: string, data: Buffer): Promise<string> {
  const tus = await TusUpload.create(client, roomId, name, data.length);
  await tus.patch(0, data);
  return tus.id;
}

/** The little of the DOM that runs inside page.evaluate() (this project compiles without lib "dom"). */
interface PageImage {
  naturalWidth: number;
  naturalHeight: number;
  onload: (() => void) | null;
  onerror: (() => void) | null;
  src: string;
}
declare const document: { createElement(tag: 'img'): PageImage; body: { append(node: PageImage): void } };

/** Puts an <img src> in the page and reports how it loaded (naturalWidth is 0 when it failed). */
async function loadImage(
  page: Page,
  src: string,
): Promise<{ loaded: boolean; width: number; height: number }> {
  return page.evaluate(
    (url) =>
      new Promise<{ loaded: boolean; width: number; height: number }>((resolve) => {
        const img = document.createElement('img');
        const done = (loaded: boolean) =>
          resolve({ loaded, width: img.naturalWidth, height: img.naturalHeight });
        img.onload = () => done(true);
        img.onerror = () => done(false);
        setTimeout(() => done(false), 10_000);
        img.src = url;
        document.body.append(img);
      }),
    src,
  );
}

/**
 * Browser-side scripts for the video test, as source text: they use canvas, MediaRecorder and
 * HTMLVideoElement, which this project's TypeScript (no lib "dom") does not describe.
 */
// Noise frames at 6 Mbit/s for 6 s: 2-4 MB. Chromium starts a stream of unknown length only after
// about a megabyte has arrived, so the part sent before the link is loaded must be at least that big.
const RECORD_WEBM = `(async () => {
  const canvas = document.createElement('canvas');
  canvas.width = 160;
  canvas.height = 120;
  const ctx = canvas.getContext('2d');
  const timer = setInterval(() => {
    const image = ctx.createImageData(160, 120);
    crypto.getRandomValues(image.data.subarray(0, 65536));
    crypto.getRandomValues(image.data.subarray(65536));
    for (let i = 3; i < image.data.length; i += 4) image.data[i] = 255;
    ctx.putImageData(image, 0, 0);
  }, 33);
  const recorder = new MediaRecorder(canvas.captureStream(30), {
    mimeType: 'video/webm;codecs=vp8',
    videoBitsPerSecond: 6000000,
  });
  const parts = [];
  recorder.ondataavailable = (event) => parts.push(event.data);
  const stopped = new Promise((resolve) => (recorder.onstop = resolve));
  recorder.start(100);
  await new Promise((resolve) => setTimeout(resolve, 6000));
  recorder.stop();
  await stopped;
  clearInterval(timer);
  const bytes = new Uint8Array(await new Blob(parts).arrayBuffer());
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
})()`;

/** Starts a muted <video> on `src`; window.videoState() reports how far it got. */
const startVideo = (src: string) => `(() => {
  const video = document.createElement('video');
  video.muted = true;
  video.defaultPlaybackRate = 4;
  const state = { loaded: false, ended: false, error: null, width: 0 };
  video.onloadeddata = () => { state.loaded = true; state.width = video.videoWidth; video.play().catch(() => {}); };
  video.onended = () => { state.ended = true; };
  video.onerror = () => { state.error = video.error ? video.error.code : -1; };
  window.videoState = () => ({ ...state });
  video.src = ${JSON.stringify(src)};
  document.body.append(video);
})()`;

interface VideoState {
  loaded: boolean;
  ended: boolean;
  error: number | null;
  width: number;
}

async function videoState(page: Page): Promise<VideoState> {
  return page.evaluate('window.videoState()') as Promise<VideoState>;
}

describe('media in a real browser (Chromium) through signed links', () => {
  let cluster: TestCluster;
  let browser: Browser;
  let page: Page;
  let client: PalaverClient;
  let roomId: string;

  before(async () => {
    cluster = await startCluster({ nodes: 1, redis: false, env: { LOG_LEVEL: 'info' } });
    browser = await launchChromium();
    page = await browser.newPage();
    // The page lives on the server's origin, as the web app does (media is Cross-Origin-Resource-Policy: same-origin).
    await page.goto(`${cluster.nodes[0]!.url}/health/live`);
    client = new PalaverClient(cluster.nodes[0]!.url);
    await client.register('viewer', 'correct horse battery');
    roomId = (await client.rooms.create({ name: 'pictures', kind: 'private' })).id;
  });

  after(async () => {
    await browser?.close();
    await cluster?.close();
  });

  it('an <img> with a signed link shows the uploaded PNG and its thumbnail; a tampered link does not load', async () => {
    const id = await upload(client, roomId, 'chart.png', png(37, 23));
    const link = await client.media.link(id);

    assert.deepEqual(await loadImage(page, link.url), { loaded: true, width: 37, height: 23 });
    assert.ok(link.thumbnailUrl);
    const thumb = await loadImage(page, link.thumbnailUrl);
    assert.equal(thumb.loaded, true);
    assert.ok(thumb.width > 0 && thumb.width <= 320, `thumbnail width ${thumb.width}`);

    const tampered = new URL(link.url);
    tampered.searchParams.set('exp', String(Number(tampered.searchParams.get('exp')) + 60));
    assert.deepEqual(await loadImage(page, tampered.toString()), { loaded: false, width: 0, height: 0 });
    // The request log names the file but not the link's signature.
    const sig = new URL(link.url).searchParams.get('sig')!;
    const logs = cluster.nodes[0]!.logs(400);
    assert.ok(logs.includes(`/api/media/${id}?`), 'the media reads are logged');
    assert.ok(!logs.includes(sig), 'the signature stays out of the log');
    // Without a link the browser has no way to authenticate.
    assert.deepEqual(await loadImage(page, `${cluster.nodes[0]!.url}/api/media/${id}`), {
      loaded: false,
      width: 0,
      height: 0,
    });
  });

  it('a <video> with a signed link starts playing a recording while its upload is still arriving', async () => {
    const webm = Buffer.from((await page.evaluate(RECORD_WEBM)) as string, 'base64');
    assert.ok(webm.length > 1_500_000, `recorded ${webm.length} bytes`);
    const tus = await TusUpload.create(client, roomId, 'clip.webm', webm.length);
    const firstPart = Math.floor(webm.length * 0.65);
    await tus.patch(0, webm.subarray(0, firstPart));

    const link = await client.media.link(tus.id);
    await page.evaluate(startVideo(link.url));
    await waitFor(
      'the video to load its first frame',
      async () => (await videoState(page)).loaded,
      15_000,
      100,
    );
    const info = await client.http.request<{ status: string }>('GET', `/media/${tus.id}/info`);
    assert.equal(info.status, 'uploading', 'the video loaded before the upload ended');
    assert.equal((await videoState(page)).width, 160);

    await tus.patch(firstPart, webm.subarray(firstPart));
    await waitFor('the video to play to its end', async () => (await videoState(page)).ended, 20_000, 100);
    assert.equal((await videoState(page)).error, null);
  });
});
