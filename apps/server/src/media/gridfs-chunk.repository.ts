import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { Binary, Collection, Db, GridFSBucket, ObjectId } from 'mongodb';
import { Connection } from 'mongoose';
import { Readable } from 'node:stream';

const BUCKET = 'fs';

interface ChunkDoc {
  _id?: ObjectId;
  files_id: string;
  n: number;
  data: Binary;
}

interface FilesDoc {
  _id: string;
  length: number;
  chunkSize: number;
  uploadDate: Date;
  filename: string;
  metadata?: Record<string, unknown>;
}

export interface StoredChunk {
  n: number;
  data: Buffer;
}

function bytesOf(data: Binary): Buffer {
  const view = data.buffer;
  return Buffer.from(view.buffer, view.byteOffset, data.position);
}

/**
 * All GridFS I/O: chunks of growing files written as they arrive (`fs.chunks` `{files_id, n, data}`),
 * the `fs.files` document written at completion so standard GridFSBucket readers work, and small
 * derived files (thumbnails) through GridFSBucket.
 */
@Injectable()
export class GridFsChunkRepository implements OnModuleInit {
  constructor(@InjectConnection() private readonly connection: Connection) {}

  async onModuleInit(): Promise<void> {
    await this.chunks().createIndex({ files_id: 1, n: 1 }, { unique: true });
    await this.files().createIndex({ filename: 1, uploadDate: 1 });
  }

  private db(): Db {
    const db = this.connection.db;
    if (!db) throw new Error('database connection is not open');
    return db as unknown as Db;
  }

  private chunks(): Collection<ChunkDoc> {
    return this.db().collection<ChunkDoc>(`${BUCKET}.chunks`);
  }

  private files(): Collection<FilesDoc> {
    return this.db().collection<FilesDoc>(`${BUCKET}.files`);
  }

  private bucket(): GridFSBucket {
    return new GridFSBucket(this.db(), { bucketName: BUCKET });
  }

  /**
   * Stores consecutive chunks first, first+1, ... in one request. `replaceFirst` when a shorter version
   * of chunk `first` is stored already (the partial last chunk of an interrupted request); new chunks
   * are plain inserts (ordered, in one command), which cost less than upserts.
   */
  async putChunks(fileId: string, first: number, data: Buffer[], replaceFirst = false): Promise<void> {
    let rest = data;
    if (replaceFirst && data.length > 0) {
      await this.chunks().updateOne(
        { files_id: fileId, n: first },
        { $set: { data: new Binary(data[0]) } },
        { upsert: true },
      );
      rest = data.slice(1);
    }
    const from = first + data.length - rest.length;
    // _id first, as GridFS writes it: the driver would append it last, and a server that stores
    // documents with _id first (MongoDB, the docstore) must then rewrite the whole 255 KiB document.
    const docs = rest.map((bytes, i) => ({
      _id: new ObjectId(),
      files_id: fileId,
      n: from + i,
      data: new Binary(bytes),
    }));
    if (docs.length === 1) await this.chunks().insertOne(docs[0]);
    else if (docs.length > 1) await this.chunks().insertMany(docs, { ordered: true });
  }

  async getChunk(fileId: string, n: number): Promise<Buffer | null> {
    const doc = await this.chunks().findOne({ files_id: fileId, n });
    return doc ? bytesOf(doc.data) : null;
  }

  /** Chunks from..to (inclusive) in order; a few chunks per round trip, never the whole file. */
  async *readChunks(fileId: string, from: number, to: number): AsyncGenerator<StoredChunk> {
    if (to < from) return;
    const cursor = this.chunks()
      .find({ files_id: fileId, n: { $gte: from, $lte: to } })
      .sort({ n: 1 })
      .batchSize(4);
    try {
      for await (const doc of cursor) yield { n: doc.n, data: bytesOf(doc.data) };
    } finally {
      await cursor.close();
    }
  }

  /**
   * Bytes stored for a file as a contiguous run of chunks, counted from `fromBytes` (known stored):
   * whole chunks up to the first gap plus the last chunk's length, and where chunks beyond a gap
   * start (`straysFrom`, null when there are none).
   */
  async storedPrefix(
    fileId: string,
    chunkSize: number,
    fromBytes: number,
  ): Promise<{ bytes: number; straysFrom: number | null }> {
    const from = Math.floor(fromBytes / chunkSize);
    const [last] = await this.chunks()
      .find({ files_id: fileId })
      .sort({ n: -1 })
      .limit(1)
      .project<{ n: number; data: Binary }>({ n: 1, data: 1 })
      .toArray();
    if (!last || last.n < from) return { bytes: fromBytes, straysFrom: null };
    const count = await this.chunks().countDocuments({ files_id: fileId, n: { $gte: from } });
    if (count === last.n - from + 1)
      return { bytes: last.n * chunkSize + last.data.position, straysFrom: null };
    // A gap (a failed store in a window of several): walk the chunk numbers to find where it starts.
    const numbers = this.chunks()
      .find({ files_id: fileId, n: { $gte: from } })
      .sort({ n: 1 })
      .project<{ n: number }>({ _id: 0, n: 1 });
    let end = from - 1;
    for await (const { n } of numbers) {
      if (n !== end + 1) break;
      end = n;
    }
    if (end < from) return { bytes: fromBytes, straysFrom: from };
    const tail = await this.getChunk(fileId, end);
    return { bytes: end * chunkSize + (tail?.length ?? 0), straysFrom: end + 1 };
  }

  /** Removes chunks n >= from (strays beyond a gap left by a failed store). */
  async deleteChunksFrom(fileId: string, from: number): Promise<void> {
    await this.chunks().deleteMany({ files_id: fileId, n: { $gte: from } });
  }

  async deleteChunks(fileId: string): Promise<void> {
    await this.chunks().deleteMany({ files_id: fileId });
  }

  async countChunks(fileId: string): Promise<number> {
    return this.chunks().countDocuments({ files_id: fileId });
  }

  /** Writes the GridFS files document of a completed file (idempotent). */
  async writeFilesDoc(fileId: string, doc: Omit<FilesDoc, '_id'>): Promise<void> {
    await this.files().replaceOne({ _id: fileId }, doc, { upsert: true });
  }

  async deleteFilesDoc(fileId: string): Promise<void> {
    await this.files().deleteOne({ _id: fileId });
  }

  /** Stores a small derived file (a thumbnail) whole, through GridFSBucket. */
  async putSmallFile(fileId: string, filename: string, data: Buffer, contentType: string): Promise<void> {
    await this.deleteSmallFile(fileId);
    const upload = this.bucket().openUploadStreamWithId(fileId as never, filename, {
      metadata: { contentType },
    });
    await new Promise<void>((resolve, reject) => {
      upload.once('finish', () => resolve());
      upload.once('error', reject);
      upload.end(data);
    });
  }

  async smallFileInfo(fileId: string): Promise<{ length: number; uploadDate: Date } | null> {
    const doc = await this.files().findOne({ _id: fileId });
    return doc ? { length: doc.length, uploadDate: doc.uploadDate } : null;
  }

  openDownload(fileId: string): Readable {
    return this.bucket().openDownloadStream(fileId as never);
  }

  async deleteSmallFile(fileId: string): Promise<void> {
    await this.files().deleteOne({ _id: fileId });
    await this.chunks().deleteMany({ files_id: fileId });
  }
}
