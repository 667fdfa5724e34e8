import { Injectable } from '@nestjs/common';
import sharp from 'sharp';

/** Types a browser could execute or render as a document: always served as attachments. */
const EXECUTABLE_TYPES = new Set([
  'text/html',
  'application/xhtml+xml',
  'image/svg+xml',
  'application/xml',
  'text/xml',
  'application/javascript',
  'text/javascript',
]);

/** Raster formats sharp decodes: these get dimensions and a thumbnail. */
const THUMBNAIL_TYPES = new Set([
  'image/jpeg',
  'image/png',
  'image/webp',
  'image/gif',
  'image/avif',
  'image/tiff',
]);

/** Images larger than this get no thumbnail (libvips decodes the whole image in memory). */
export const THUMBNAIL_SOURCE_MAX_BYTES = 64 * 1024 * 1024;
export const THUMBNAIL_MAX_EDGE = 320;
export const THUMBNAIL_TYPE = 'image/webp';

export interface ImageFacts {
  width: number;
  height: number;
  thumbnail: Buffer;
}

type FileTypeModule = typeof import('file-type', { with: { 'resolution-mode': 'import' } });
let fileTypeModule: Promise<FileTypeModule> | undefined;
function loadFileType(): Promise<FileTypeModule> {
  // file-type is ESM-only; this package compiles to CommonJS.
  fileTypeModule ??= import('file-type');
  return fileTypeModule;
}

/**
 * What the stored bytes are, decided from the bytes alone: the client's declared type is never served.
 * Text formats file-type does not know (html, svg, xml) are recognised by their opening markup.
 */
@Injectable()
export class MediaInspector {
  async sniff(head: Buffer): Promise<string> {
    const { fileTypeFromBuffer } = await loadFileType();
    const detected = await fileTypeFromBuffer(head);
    if (detected) {
      if (detected.mime === 'application/xml') return this.sniffMarkup(head) ?? detected.mime;
      return detected.mime;
    }
    return (
      this.sniffMarkup(head) ??
      (looksLikeText(head) ? 'text/plain; charset=utf-8' : 'application/octet-stream')
    );
  }

  private sniffMarkup(head: Buffer): string | undefined {
    const text = head
      .subarray(0, 1024)
      .toString('utf8')
      .replace(/^\uFEFF/, '')
      .trimStart()
      .toLowerCase();
    if (/^<!doctype html|^<html|^<head|^<body|^<script|^<iframe/.test(text)) return 'text/html';
    if (/^<svg/.test(text) || (text.startsWith('<?xml') && text.includes('<svg'))) return 'image/svg+xml';
    if (text.startsWith('<?xml')) return 'application/xml';
    return undefined;
  }

  /** Served with Content-Disposition: attachment so the browser never renders it in our origin. */
  isExecutable(contentType: string): boolean {
    return EXECUTABLE_TYPES.has(contentType.split(';')[0].trim());
  }

  canThumbnail(contentType: string, length: number): boolean {
    return THUMBNAIL_TYPES.has(contentType) && length > 0 && length <= THUMBNAIL_SOURCE_MAX_BYTES;
  }

  /**
   * Upright dimensions (EXIF orientation applied) and a small WebP thumbnail. sharp drops all metadata
   * (EXIF, GPS, ICC) from its output unless asked to keep it. Undecodable images yield undefined.
   */
  async imageFacts(image: Buffer): Promise<ImageFacts | undefined> {
    try {
      const source = sharp(image, { failOn: 'error', limitInputPixels: 100_000_000 });
      const meta = await source.metadata();
      if (!meta.width || !meta.height) return undefined;
      const rotated = (meta.orientation ?? 1) >= 5;
      const thumbnail = await source
        .rotate()
        .resize(THUMBNAIL_MAX_EDGE, THUMBNAIL_MAX_EDGE, { fit: 'inside', withoutEnlargement: true })
        .webp({ quality: 80 })
        .toBuffer();
      return {
        width: rotated ? meta.height : meta.width,
        height: rotated ? meta.width : meta.height,
        thumbnail,
      };
    } catch {
      return undefined;
    }
  }
}

function looksLikeText(head: Buffer): boolean {
  if (head.length === 0) return false;
  if (head.includes(0)) return false;
  // stream: true keeps a multi-byte character cut at the end of the sample from counting as invalid.
  return !new TextDecoder('utf-8').decode(head, { stream: true }).includes('\uFFFD');
}
