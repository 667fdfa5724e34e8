import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import type { MediaRecord, MediaStatus } from './media.entity';
import { MediaDocument } from './media.schema';

export type NewMedia = Pick<
  MediaRecord,
  'id' | 'roomId' | 'uploaderId' | 'name' | 'declaredType' | 'declaredSize' | 'chunkSize'
>;

export interface CompletedFacts {
  committedBytes: number;
  contentType: string;
  sha256: string;
  width: number | null;
  height: number | null;
  hasThumbnail: boolean;
}

type LeanMedia = MediaDocument;

function toRecord(doc: LeanMedia): MediaRecord {
  return {
    id: doc._id,
    roomId: doc.roomId,
    uploaderId: doc.uploaderId,
    messageId: doc.messageId ?? null,
    status: doc.status,
    name: doc.name,
    declaredType: doc.declaredType,
    declaredSize: doc.declaredSize,
    chunkSize: doc.chunkSize,
    committedBytes: doc.committedBytes,
    contentType: doc.contentType ?? null,
    sha256: doc.sha256 ?? null,
    width: doc.width ?? null,
    height: doc.height ?? null,
    hasThumbnail: doc.hasThumbnail ?? false,
    failureReason: doc.failureReason ?? null,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
    completedAt: doc.completedAt ?? null,
    deleteAfter: doc.deleteAfter ?? null,
  };
}

/** All I/O on media records (the `media` collection); returns plain MediaRecords. */
@Injectable()
export class MediaRepository {
  constructor(@InjectModel(MediaDocument.name) private readonly model: Model<MediaDocument>) {}

  async create(media: NewMedia, now = new Date()): Promise<MediaRecord> {
    const doc: LeanMedia = {
      _id: media.id,
      roomId: media.roomId,
      uploaderId: media.uploaderId,
      messageId: null,
      status: 'uploading',
      name: media.name,
      declaredType: media.declaredType,
      declaredSize: media.declaredSize,
      chunkSize: media.chunkSize,
      committedBytes: 0,
      contentType: null,
      sha256: null,
      width: null,
      height: null,
      hasThumbnail: false,
      failureReason: null,
      createdAt: now,
      updatedAt: now,
      completedAt: null,
      deleteAfter: null,
    };
    await this.model.collection.insertOne(doc as never);
    return toRecord(doc);
  }

  async findById(id: string): Promise<MediaRecord | null> {
    const doc = await this.model.findById(id).lean<LeanMedia>().exec();
    return doc ? toRecord(doc) : null;
  }

  async setMessageId(id: string, messageId: string): Promise<void> {
    await this.model.updateOne({ _id: id }, { $set: { messageId } }).exec();
  }

  /** Records stored bytes of an upload still in progress; false when it is no longer uploading. */
  async recordCommitted(id: string, committedBytes: number, now = new Date()): Promise<boolean> {
    const res = await this.model
      .updateOne({ _id: id, status: 'uploading' }, { $set: { committedBytes, updatedAt: now } })
      .exec();
    return res.matchedCount === 1;
  }

  /** uploading -> complete; false when another request already finished or failed it. */
  async markComplete(id: string, facts: CompletedFacts, now = new Date()): Promise<boolean> {
    const res = await this.model
      .updateOne(
        { _id: id, status: 'uploading' },
        { $set: { ...facts, status: 'complete', updatedAt: now, completedAt: now } },
      )
      .exec();
    return res.matchedCount === 1;
  }

  async setThumbnail(id: string, hasThumbnail: boolean): Promise<void> {
    await this.model.updateOne({ _id: id }, { $set: { hasThumbnail } }).exec();
  }

  /** uploading -> failed, atomically; returns the record as it was failed, or null if it was not uploading. */
  async markFailed(id: string, reason: string, now = new Date()): Promise<MediaRecord | null> {
    const doc = await this.model
      .findOneAndUpdate(
        { _id: id, status: 'uploading' },
        { $set: { status: 'failed', failureReason: reason, updatedAt: now } },
        { new: true },
      )
      .lean<LeanMedia>()
      .exec();
    return doc ? toRecord(doc) : null;
  }

  /** Claims one upload idle since before `cutoff` by failing it (safe with several nodes sweeping). */
  async claimAbandoned(cutoff: Date, now = new Date()): Promise<MediaRecord | null> {
    const doc = await this.model
      .findOneAndUpdate(
        { status: 'uploading', updatedAt: { $lt: cutoff } },
        { $set: { status: 'failed', failureReason: 'abandoned', updatedAt: now } },
        { new: true },
      )
      .lean<LeanMedia>()
      .exec();
    return doc ? toRecord(doc) : null;
  }

  async scheduleDeletion(filter: { ids?: string[]; messageId?: string }, at: Date): Promise<void> {
    const query = filter.messageId ? { messageId: filter.messageId } : { _id: { $in: filter.ids ?? [] } };
    await this.model.updateMany(query, { $set: { deleteAfter: at } }).exec();
  }

  async findDueForDeletion(now: Date, limit: number): Promise<MediaRecord[]> {
    const docs = await this.model
      .find({ deleteAfter: { $ne: null, $lte: now } })
      .limit(limit)
      .lean<LeanMedia[]>()
      .exec();
    return docs.map(toRecord);
  }

  async delete(id: string): Promise<void> {
    await this.model.deleteOne({ _id: id }).exec();
  }

  async countByStatus(status: MediaStatus): Promise<number> {
    return this.model.countDocuments({ status }).exec();
  }
}
