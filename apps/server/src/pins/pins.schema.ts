import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

@Schema({ collection: 'pins', versionKey: false })
export class PinDocument {
  @Prop({ required: true }) roomId!: string;
  @Prop({ required: true }) messageId!: string;
  @Prop({ required: true }) pinnedBy!: string;
  @Prop({ required: true }) pinnedAt!: Date;
}

export const PinSchema = SchemaFactory.createForClass(PinDocument);
PinSchema.index({ roomId: 1, messageId: 1 }, { unique: true });
PinSchema.index({ roomId: 1, pinnedAt: -1 });
