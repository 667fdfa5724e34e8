import { PalaverClient } from '@palaver/client';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { crc32, deflateSync } from 'node:zlib';
import type { Browser, Page } from 'playwright-core';
import { startCluster, TestCluster } from './support/cluster';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

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

/** Creates a tus upload into `roomId` and sends the whole body in one PATCH; returns the media id. */
async function upload(client: PalaverClient, roomId: string, name: string, data: Buffer): Promise<string> {
  const auth = { authorization: `Bearer ${client.accessToken}`, 'tus-resumable': '1.0.0' };
  const metadata = [
    `roomId ${Buffer.from(roomId).toString('base64')}`,
    `filename ${Buffer.from(name).toString('base64')}`,
  ];
  const created = await fetch(`${client.baseUrl}/api/media/uploads`, {
    method: 'POST',
    headers: { ...auth, 'upload-length': String(data.length), 'upload-metadata': metadata.join(',') },
    signal: AbortSignal.timeout(10_000),
  });
  assert.equal(created.status, 201, await created.text());
  const id = created.headers.get('location')!.split('/').pop()!;
  const patched = await fetch(`${client.baseUrl}/api/media/uploads/${id}`, {
    method: 'PATCH',
    headers: { ...auth, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' },
    body: data,
    signal: AbortSignal.timeout(10_000),
  });
  assert.equal(patched.status, 204, await patched.text());
  return id;
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

describe('media in a real browser (Chromium) through signed links', () => {
  let cluster: TestCluster;
  let browser: Browser;
  let page: Page;
  let client: PalaverClient;
  let roomId: string;

  before(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
    const { chromium } = await import('playwright-core');
    cluster = await startCluster({ nodes: 1, redis: false, env: { LOG_LEVEL: 'info' } });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 60_000 });
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
});
