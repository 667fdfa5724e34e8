import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/** One member's read marker in one room. */
@Schema({ collection: 'read_markers', versionKey: false })
export class ReadMarkerDocument {
  @Prop({ required: true }) userId!: string;
  @Prop({ required: true }) roomId!: string;
  /** Messages with seq ≤ this are read; only ever raised ($max). */
  @Prop({ required: true }) lastReadSeq!: number;
  @Prop({ required: true }) updatedAt!: Date;
}

export const ReadMarkerSchema = SchemaFactory.createForClass(ReadMarkerDocument);
ReadMarkerSchema.index({ userId: 1, roomId: 1 }, { unique: true });
