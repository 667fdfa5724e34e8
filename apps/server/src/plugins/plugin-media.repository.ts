import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { PluginFile } from '@palaver/plugin-sdk';
import { Model } from 'mongoose';
import { MediaDocument } from '../media/media.schema';

/**
 * A read-only view of completed media records (still stored) for plugins (storage-quota recomputes usage from it).
 * Media owns the collection; this only reads it.
 */
@Injectable()
export class PluginMediaRepository {
  constructor(@InjectModel(MediaDocument.name) private readonly media: Model<MediaDocument>) {}

  async completedFiles(
    filter: { ownerId?: string; roomId?: string },
    limit = 100_000,
  ): Promise<PluginFile[]> {
    const docs = await this.media
      .find({
        // Files scheduled for deletion still occupy storage until media purges them (upload.afterDelete).
        status: 'complete',
        ...(filter.ownerId ? { uploaderId: filter.ownerId } : {}),
        ...(filter.roomId ? { roomId: filter.roomId } : {}),
      })
      .select({
        _id: 1,
        roomId: 1,
        uploaderId: 1,
        name: 1,
        contentType: 1,
        declaredType: 1,
        committedBytes: 1,
      })
      .limit(limit)
      .lean<MediaDocument[]>()
      .exec();
    return docs.map((doc) => ({
      id: doc._id,
      roomId: doc.roomId,
      ownerId: doc.uploaderId,
      filename: doc.name,
      contentType: doc.contentType ?? doc.declaredType,
      bytes: doc.committedBytes,
    }));
  }
}
