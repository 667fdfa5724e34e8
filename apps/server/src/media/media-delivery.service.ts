import { Injectable } from '@nestjs/common';
import contentDisposition from 'content-disposition';
import parseRange from 'range-parser';
import { NotFoundError } from '../common/domain-error';
import { GridFsChunkRepository } from './gridfs-chunk.repository';
import { GrowingFileReader } from './growing-file-reader';
import { MediaInspector, THUMBNAIL_TYPE } from './media-inspector';
import { MediaReader } from './media-link.signer';
import { MediaRecord } from './media.entity';
import { MediaService, thumbnailFileId } from './media.service';

/** The request headers that decide what a media response is. */
export interface MediaRequest {
  method: string;
  range?: string;
  ifNoneMatch?: string;
  ifRange?: string;
  signal?: AbortSignal;
}

/** What to send back: status, headers and (unless HEAD / 304 / 416) the bytes. */
export interface MediaResponse {
  status: number;
  headers: Record<string, string>;
  body?: AsyncIterable<Buffer>;
}

const COMMON_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  // private: members only; no-transform: proxies must not recompress media.
  'Cache-Control': 'private, no-transform',
  'Content-Security-Policy': "default-src 'none'; sandbox",
  'Cross-Origin-Resource-Policy': 'same-origin',
};

function etagOf(record: MediaRecord): string {
  return `"${record.sha256}"`;
}

function matchesEtag(header: string, etag: string): boolean {
  if (header.trim() === '*') return true;
  return header
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//, ''))
    .includes(etag);
}

/**
 * HTTP semantics of media reads: growing files stream until completion; completed files get ETag,
 * Last-Modified, conditional requests and single byte ranges; the type is the sniffed one, and types
 * a browser could execute are attachments.
 */
@Injectable()
export class MediaDeliveryService {
  constructor(
    private readonly media: MediaService,
    private readonly reader: GrowingFileReader,
    private readonly chunks: GridFsChunkRepository,
    private readonly inspector: MediaInspector,
  ) {}

  async file(reader: MediaReader, id: string, req: MediaRequest): Promise<MediaResponse> {
    const record = await this.media.readable(reader, id);
    if (record.status === 'failed') {
      return { status: 410, headers: { ...COMMON_HEADERS, 'Content-Type': 'text/plain' } };
    }
    if (record.status === 'uploading') return this.growing(record, req);
    return this.complete(record, req);
  }

  async thumbnail(reader: MediaReader, id: string, req: MediaRequest): Promise<MediaResponse> {
    const record = await this.media.readable(reader, id);
    const info = record.hasThumbnail ? await this.chunks.smallFileInfo(thumbnailFileId(id)) : null;
    if (!info) throw new NotFoundError('thumbnail');
    const etag = `"${record.sha256}-thumbnail"`;
    const headers: Record<string, string> = {
      ...COMMON_HEADERS,
      'Content-Type': THUMBNAIL_TYPE,
      ETag: etag,
      'Last-Modified': info.uploadDate.toUTCString(),
    };
    if (req.ifNoneMatch && matchesEtag(req.ifNoneMatch, etag)) return { status: 304, headers };
    headers['Content-Length'] = String(info.length);
    return {
      status: 200,
      headers,
      body: req.method === 'HEAD' ? undefined : this.chunks.openDownload(thumbnailFileId(id)),
    };
  }

  private disposition(record: MediaRecord, contentType: string): string {
    const type = this.inspector.isExecutable(contentType) ? 'attachment' : 'inline';
    return contentDisposition(record.name, { type });
  }

  /**
   * A file still arriving, served as the file it will be: its declared length (the upload can only
   * complete at exactly that many bytes; if it fails, the response is cut short). Bytes not stored yet
   * are streamed as they arrive. A single range is served from the chunk holding its first byte,
   * waiting for bytes beyond the stored prefix, so a `<video>` can seek while the upload goes on. The
   * type is the one completion will sniff, once the first chunk is stored; until then (and for types
   * a browser could execute) the file is an opaque attachment.
   */
  private async growing(record: MediaRecord, req: MediaRequest): Promise<MediaResponse> {
    const length = record.declaredSize;
    const contentType = await this.growingType(record);
    const headers: Record<string, string> = {
      ...COMMON_HEADERS,
      'Cache-Control': 'no-store, no-transform',
      'Content-Type': contentType ?? 'application/octet-stream',
      'Content-Disposition': contentType
        ? this.disposition(record, contentType)
        : contentDisposition(record.name, { type: 'attachment' }),
      'Accept-Ranges': 'bytes',
      'X-Media-Status': 'uploading',
      'X-Media-Declared-Length': String(length),
    };
    // If-Range names a validator of the complete file; there is none yet, so the range is not honoured.
    return this.withBody(record, req, length, headers, !req.ifRange);
  }

  /**
   * The type completion will give the file, when it can already be known: completion sniffs the first
   * chunk, so once that chunk is stored whole, sniffing it now gives the same answer.
   */
  private async growingType(record: MediaRecord): Promise<string | null> {
    const firstChunk = Math.min(record.chunkSize, record.declaredSize);
    if (firstChunk === 0) return null;
    const head = await this.chunks.getChunk(record.id, 0);
    if (!head || head.length < firstChunk) return null;
    return this.inspector.sniff(head);
  }

  private complete(record: MediaRecord, req: MediaRequest): MediaResponse {
    const length = record.committedBytes;
    const contentType = record.contentType ?? 'application/octet-stream';
    const etag = etagOf(record);
    const lastModified = (record.completedAt ?? record.updatedAt).toUTCString();
    const headers: Record<string, string> = {
      ...COMMON_HEADERS,
      'Content-Type': contentType,
      'Content-Disposition': this.disposition(record, contentType),
      'Accept-Ranges': 'bytes',
      ETag: etag,
      'Last-Modified': lastModified,
    };
    if (req.ifNoneMatch && matchesEtag(req.ifNoneMatch, etag)) return { status: 304, headers };

    return this.withBody(record, req, length, headers, this.ifRangeHolds(req.ifRange, etag, lastModified));
  }

  /**
   * Status, length and body for the file's first `length` bytes: one satisfiable range (when
   * `honourRange`) as 206 from the chunk holding its first byte, otherwise the whole.
   */
  private withBody(
    record: MediaRecord,
    req: MediaRequest,
    length: number,
    headers: Record<string, string>,
    honourRange: boolean,
  ): MediaResponse {
    let start = 0;
    let end = length - 1;
    let status = 200;
    if (req.range && honourRange) {
      const ranges = parseRange(length, req.range, { combine: true });
      if (ranges === -1) {
        return { status: 416, headers: { ...headers, 'Content-Range': `bytes */${length}` } };
      }
      // -2 (malformed) and multiple ranges: serve the whole file, which HTTP allows.
      if (ranges !== -2 && ranges.type === 'bytes' && ranges.length === 1) {
        start = ranges[0].start;
        end = ranges[0].end;
        status = 206;
        headers['Content-Range'] = `bytes ${start}-${end}/${length}`;
      }
    }
    headers['Content-Length'] = String(length === 0 ? 0 : end - start + 1);
    const body =
      req.method === 'HEAD' || length === 0
        ? undefined
        : this.reader.read(record, { start, end, signal: req.signal });
    return { status, headers, body };
  }

  /** If-Range: honour Range only if the validator still matches (a strong ETag or the exact date). */
  private ifRangeHolds(ifRange: string | undefined, etag: string, lastModified: string): boolean {
    if (!ifRange) return true;
    const value = ifRange.trim();
    if (value.startsWith('"') || value.startsWith('W/')) return value === etag;
    return value === lastModified;
  }
}
