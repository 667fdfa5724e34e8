import { PalaverClient } from '@palaver/client';
import { createHash } from 'node:crypto';
import http from 'node:http';
import * as tus from 'tus-js-client';

export const UPLOADS = '/api/media/uploads';

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function auth(client: PalaverClient): Record<string, string> {
  return { authorization: `Bearer ${client.accessToken}` };
}

function encodeMetadata(meta: Record<string, string>): string {
  return Object.entries(meta)
    .map(([k, v]) => `${k} ${Buffer.from(v).toString('base64')}`)
    .join(',');
}

/** The tus protocol spoken by hand with fetch, for tests that need control over each request. */
export class RawTus {
  constructor(
    private readonly baseUrl: string,
    private readonly client: PalaverClient,
  ) {}

  async create(meta: Record<string, string>, size: number): Promise<Response> {
    return fetch(`${this.baseUrl}${UPLOADS}`, {
      method: 'POST',
      headers: {
        ...auth(this.client),
        'tus-resumable': '1.0.0',
        'upload-length': String(size),
        'upload-metadata': encodeMetadata(meta),
      },
    });
  }

  /** Creates an upload and returns its id (throws unless 201). */
  async start(meta: Record<string, string>, size: number): Promise<string> {
    const res = await this.create(meta, size);
    if (res.status !== 201) throw new Error(`create: ${res.status} ${await res.text()}`);
    return res.headers.get('location')!.split('/').pop()!;
  }

  async patch(id: string, offset: number, body: Buffer): Promise<Response> {
    return fetch(`${this.baseUrl}${UPLOADS}/${id}`, {
      method: 'PATCH',
      headers: {
        ...auth(this.client),
        'tus-resumable': '1.0.0',
        'upload-offset': String(offset),
        'content-type': 'application/offset+octet-stream',
      },
      body,
    });
  }

  async offset(id: string): Promise<number> {
    const res = await fetch(`${this.baseUrl}${UPLOADS}/${id}`, {
      method: 'HEAD',
      headers: { ...auth(this.client), 'tus-resumable': '1.0.0' },
    });
    if (res.status !== 200) throw new Error(`HEAD: ${res.status}`);
    return Number(res.headers.get('upload-offset'));
  }

  /** A raw tus PATCH at `offset` declaring `length` body bytes (for tests that control the body's timing). */
  private patchRequest(id: string, offset: number, length: number): http.RequestOptions {
    const url = new URL(`${this.baseUrl}${UPLOADS}/${id}`);
    return {
      host: url.hostname,
      port: url.port,
      path: url.pathname,
      method: 'PATCH',
      headers: {
        ...auth(this.client),
        'tus-resumable': '1.0.0',
        'upload-offset': String(offset),
        'content-type': 'application/offset+octet-stream',
        'content-length': String(length),
      },
    };
  }

  /**
   * Sends `body` as a PATCH at `offset` but kills the connection after `sendBytes` of it have been
   * written: what a dropped network looks like to the server.
   */
  async patchAndDrop(id: string, offset: number, body: Buffer, sendBytes: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const req = http.request(this.patchRequest(id, offset, body.length));
      req.on('error', () => resolve());
      req.on('close', () => resolve());
      req.write(body.subarray(0, sendBytes), () => {
        // Give the server a moment to take in what was sent, then cut the connection.
        setTimeout(() => req.destroy(), 200);
      });
    });
  }

  /**
   * Opens a PATCH at `offset` declaring `length` body bytes, to be written piece by piece; `response`
   * settles with the status and Upload-Offset the server answers (possibly before the body is complete).
   */
  openPatch(
    id: string,
    offset: number,
    length: number,
  ): { write(bytes: Buffer): Promise<void>; response: Promise<{ status: number; offset: number }> } {
    const req = http.request(this.patchRequest(id, offset, length));
    // Once answered, the rest of the body is not wanted: the socket may close under a pending write.
    req.on('error', () => undefined);
    const response = new Promise<{ status: number; offset: number }>((resolve, reject) => {
      req.once('response', (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0, offset: Number(res.headers['upload-offset'] ?? NaN) });
        req.destroy();
      });
      req.once('close', () => reject(new Error('PATCH closed without a response')));
    });
    return {
      write: (bytes) => new Promise<void>((resolve) => req.write(bytes, () => resolve())),
      response,
    };
  }
}

/** Uploads with the standard tus client (tus-js-client) and resolves with the upload URL. */
export function tusUpload(
  baseUrl: string,
  client: PalaverClient,
  data: Buffer,
  meta: Record<string, string>,
  options: Partial<tus.UploadOptions> = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const upload: tus.Upload = new tus.Upload(data, {
      endpoint: `${baseUrl}${UPLOADS}`,
      metadata: meta,
      headers: auth(client),
      retryDelays: [],
      ...options,
      onError: reject,
      onSuccess: () => resolve(upload.url!),
    });
    upload.start();
  });
}

/** GET with the client's token; resolves with status, headers and the full body. */
export async function getMedia(
  baseUrl: string,
  client: PalaverClient,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: Buffer }> {
  const res = await fetch(`${baseUrl}${path}`, {
    headers: { ...auth(client), ...headers },
    signal: AbortSignal.timeout(60_000),
  });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}
