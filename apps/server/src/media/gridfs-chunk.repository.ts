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
   * Stores chunk n. `replace` when a shorter version of it is stored already (the partial last chunk
   * of an interrupted request); new chunks are plain inserts, which cost less than an upsert.
   */
  async putChunk(fileId: string, n: number, data: Buffer, replace = false): Promise<void> {
    if (replace) {
      await this.chunks().updateOne(
        { files_id: fileId, n },
        { $set: { data: new Binary(data) } },
        { upsert: true },
      );
    } else {
      // _id first, as GridFS writes it: the driver would append it last, and a server that stores
      // documents with _id first (MongoDB, the docstore) must then rewrite the whole 255 KiB document.
      await this.chunks().insertOne({ _id: new ObjectId(), files_id: fileId, n, data: new Binary(data) });
    }
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

  /** Bytes stored for a file: whole chunks below the last one plus the last one's length. */
  async storedLength(fileId: string, chunkSize: number): Promise<number> {
    const [last] = await this.chunks()
      .find({ files_id: fileId })
      .sort({ n: -1 })
      .limit(1)
      .project<{ n: number; data: Binary }>({ n: 1, data: 1 })
      .toArray();
    return last ? last.n * chunkSize + last.data.position : 0;
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
