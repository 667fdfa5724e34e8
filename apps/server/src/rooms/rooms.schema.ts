import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import type { RoomKind, RoomRole } from '@palaver/client';

@Schema({ collection: 'rooms', timestamps: true, versionKey: false })
export class RoomDocument {
  @Prop({ required: true, enum: ['public', 'private', 'direct'] }) kind!: RoomKind;
  @Prop({ required: true }) name!: string;
  /** Lower-cased name: the directory's sort key and prefix-search range. */
  @Prop({ required: true }) nameLower!: string;
  @Prop({ default: '' }) topic!: string;
  @Prop({ type: Date, default: null }) archivedAt!: Date | null;
  @Prop({ type: [String], default: [] }) directUserIds!: string[];
  /** `a:b` (sorted user ids) for direct rooms, absent otherwise: at most one direct room per pair. */
  @Prop({ type: String }) directKey?: string;
  @Prop({ default: 0 }) memberCount!: number;
  /** The room counter: every new message's seq and every change's changeSeq come from `$inc` on this. */
  @Prop({ default: 0 }) lastSeq!: number;
  /**
   * Bumped after every change of who may do what here (membership added, removed or re-roled; archived or
   * reopened). The send path's `$inc` on lastSeq returns it, so a node's cached membership is re-checked
   * whenever it was read at an older version (RoomAccess.confirm).
   */
  @Prop({ default: 0 }) accessVersion!: number;
  @Prop({ required: true }) createdBy!: string;
  createdAt!: Date;
  updatedAt!: Date;
}

export const RoomSchema = SchemaFactory.createForClass(RoomDocument);
RoomSchema.index({ directKey: 1 }, { unique: true, sparse: true });
RoomSchema.index({ kind: 1, nameLower: 1, _id: 1 });

@Schema({ collection: 'room_members', versionKey: false })
export class RoomMemberDocument {
  @Prop({ required: true }) roomId!: string;
  @Prop({ required: true }) userId!: string;
  /** Denormalized for member lists; usernames do not change. */
  @Prop({ required: true }) username!: string;
  @Prop({ required: true, enum: ['owner', 'moderator', 'member'] }) role!: RoomRole;
  @Prop({ required: true }) joinedAt!: Date;
}

export const RoomMemberSchema = SchemaFactory.createForClass(RoomMemberDocument);
RoomMemberSchema.index({ roomId: 1, userId: 1 }, { unique: true });
RoomMemberSchema.index({ userId: 1, roomId: 1 });
