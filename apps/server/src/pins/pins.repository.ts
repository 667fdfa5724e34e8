import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { PinDocument } from './pins.schema';

export interface PinRecord {
  roomId: string;
  messageId: string;
  pinnedBy: string;
  pinnedAt: Date;
}

@Injectable()
export class PinsRepository {
  constructor(@InjectModel(PinDocument.name) private readonly model: Model<PinDocument>) {}

  /** Returns false when the message was already pinned. */
  async add(pin: PinRecord): Promise<boolean> {
    const res = await this.model
      .updateOne({ roomId: pin.roomId, messageId: pin.messageId }, { $setOnInsert: pin }, { upsert: true })
      .exec();
    return res.upsertedCount > 0;
  }

  async remove(roomId: string, messageId: string): Promise<boolean> {
    const res = await this.model.deleteOne({ roomId, messageId }).exec();
    return res.deletedCount > 0;
  }

  async list(roomId: string, limit: number): Promise<PinRecord[]> {
    return this.model
      .find({ roomId }, { _id: 0, roomId: 1, messageId: 1, pinnedBy: 1, pinnedAt: 1 })
      .sort({ pinnedAt: -1 })
      .limit(limit)
      .lean<PinRecord[]>()
      .exec();
  }
}
