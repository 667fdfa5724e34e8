import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { ROLES, Role } from '../auth/auth-user';

@Schema({ collection: 'users', timestamps: true, versionKey: false })
export class UserDocument {
  @Prop({ required: true }) username!: string;
  /** Lower-cased username: unique, and the key for lookups, search and paging. */
  @Prop({ required: true, unique: true }) usernameLower!: string;
  @Prop({ required: true }) displayName!: string;
  @Prop({ required: true }) passwordHash!: string;
  @Prop({ required: true, enum: ROLES, default: 'member' }) role!: Role;
  @Prop({ type: Date, default: null }) bannedAt!: Date | null;
  @Prop({ type: String, default: null }) bannedReason!: string | null;
  createdAt!: Date;
  updatedAt!: Date;
}

export const UserSchema = SchemaFactory.createForClass(UserDocument);
