import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { ReadMarkerDocument } from './read-state.schema';

export interface ReadMarkerRecord {
  userId: string;
  roomId: string;
  lastReadSeq: number;
}

/** Read markers I/O. */
@Injectable()
export class ReadStateRepository {
  constructor(@InjectModel(ReadMarkerDocument.name) private readonly model: Model<ReadMarkerDocument>) {}

  /**
   * Raises the marker to `seq` (never lowers it); returns the marker now stored and whether it moved.
   * A concurrent first mark of the same pair can hit the unique index: the retry then updates.
   */
  async raise(userId: string, roomId: string, seq: number): Promise<{ lastReadSeq: number; moved: boolean }> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        const before = await this.model
          .findOneAndUpdate(
            { userId, roomId },
            { $max: { lastReadSeq: seq }, $set: { updatedAt: new Date() } },
            { upsert: true, new: false },
          )
          .lean<ReadMarkerRecord>()
          .exec();
        const previous = before?.lastReadSeq ?? null;
        return previous === null || previous < seq
          ? { lastReadSeq: seq, moved: true }
          : { lastReadSeq: previous, moved: false };
      } catch (err) {
        if ((err as { code?: number }).code !== 11000 || attempt > 0) throw err;
      }
    }
  }

  async markersOf(userId: string): Promise<Map<string, number>> {
    const docs = await this.model.find({ userId }).lean<ReadMarkerRecord[]>().exec();
    return new Map(docs.map((d) => [d.roomId, d.lastReadSeq]));
  }

  async deleteRoom(roomId: string): Promise<void> {
    await this.model.deleteMany({ roomId }).exec();
  }
}
