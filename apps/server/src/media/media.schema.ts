import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import type { MediaStatus } from './media.entity';

/**
 * The growing file's own record. GridFS writes its `fs.files` document only after the last chunk, so
 * readers of an upload in progress follow this record (and `media.chunk` notices) instead.
 */
@Schema({ collection: 'media', versionKey: false })
export class MediaDocument {
  /** 128 random bits, hex: media URLs are not guessable. Also the GridFS `files_id` of its chunks. */
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true, index: true }) roomId!: string;
  @Prop({ required: true }) uploaderId!: string;
  @Prop({ type: String, default: null }) messageId!: string | null;
  @Prop({ required: true, enum: ['uploading', 'complete', 'failed'] }) status!: MediaStatus;
  @Prop({ required: true }) name!: string;
  @Prop({ required: true }) declaredType!: string;
  @Prop({ required: true }) declaredSize!: number;
  @Prop({ required: true }) chunkSize!: number;
  @Prop({ required: true, default: 0 }) committedBytes!: number;
  @Prop({ type: String, default: null }) contentType!: string | null;
  @Prop({ type: String, default: null }) sha256!: string | null;
  @Prop({ type: Number, default: null }) width!: number | null;
  @Prop({ type: Number, default: null }) height!: number | null;
  @Prop({ default: false }) hasThumbnail!: boolean;
  @Prop({ type: String, default: null }) failureReason!: string | null;
  @Prop({ required: true }) createdAt!: Date;
  @Prop({ required: true }) updatedAt!: Date;
  @Prop({ type: Date, default: null }) completedAt!: Date | null;
  @Prop({ type: Date, default: null }) deleteAfter!: Date | null;
}

export const MediaSchema = SchemaFactory.createForClass(MediaDocument);
MediaSchema.index({ status: 1, updatedAt: 1 });
MediaSchema.index({ deleteAfter: 1 }, { sparse: true });
