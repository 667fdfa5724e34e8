import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { Schema as MongooseSchema } from 'mongoose';
import type { MessageAttachment } from './message.entity';

@Schema({ collection: 'messages', versionKey: false })
export class MessageDocument {
  @Prop({ required: true }) roomId!: string;
  /** Position in the room, from the room counter; never changes. */
  @Prop({ required: true }) seq!: number;
  /** Room-counter value of the latest change; "changed since N" is a range on {roomId, changeSeq}. */
  @Prop({ required: true }) changeSeq!: number;
  @Prop({ required: true }) authorId!: string;
  @Prop({ required: true }) authorUsername!: string;
  @Prop({ type: String, default: '' }) text!: string;
  @Prop({ required: true }) clientMessageId!: string;
  @Prop({ required: true }) createdAt!: Date;
  @Prop({ type: Date, default: null }) editedAt!: Date | null;
  @Prop({ type: Date, default: null }) deletedAt!: Date | null;
  @Prop({ type: String, default: null }) deletedBy!: string | null;
  /** Media attachments (see media/): declared facts, fixed when the message is posted. */
  @Prop({
    type: [{ _id: false, mediaId: String, name: String, declaredType: String, declaredSize: Number }],
    default: undefined,
  })
  attachments?: MessageAttachment[];
  /** Reactions: emoji -> ids of the users who reacted, in the order they did (see reactions/). */
  @Prop({ type: MongooseSchema.Types.Mixed, default: undefined })
  reactions?: Record<string, string[]>;
  /** Who the text mentions: lower-cased usernames and '@room' (mentions/mention-parser.ts); for counts. */
  @Prop({ type: [String], default: undefined })
  mentions?: string[];
  /** Distinct normalized words of the text, for search (search/search-tokens.ts); none once deleted. */
  @Prop({ type: [String], default: undefined, select: false })
  tokens?: string[];
  /** Set on thread replies: the root message's id. */
  @Prop({ type: String, default: undefined })
  threadRootId?: string;
  /** On thread roots: replies (not deleted), the newest one (threads/). */
  @Prop({
    type: { _id: false, replyCount: Number, lastReplyId: String, lastReplyAt: Date },
    default: undefined,
  })
  thread?: { replyCount: number; lastReplyId: string | null; lastReplyAt: Date | null };
}

export const MessageSchema = SchemaFactory.createForClass(MessageDocument);
MessageSchema.index({ roomId: 1, seq: -1 }, { unique: true });
MessageSchema.index({ roomId: 1, changeSeq: 1 });
MessageSchema.index({ roomId: 1, authorId: 1, clientMessageId: 1 }, { unique: true });
MessageSchema.index({ roomId: 1, mentions: 1, seq: 1 });
MessageSchema.index({ tokens: 1, roomId: 1 });
MessageSchema.index({ threadRootId: 1, seq: -1 }, { sparse: true });
