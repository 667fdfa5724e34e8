import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/** A login session = one refresh-token family. Access tokens carry its id and die with it. */
@Schema({ collection: 'auth_sessions', versionKey: false })
export class SessionDocument {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true, index: true }) userId!: string;
  @Prop({ required: true }) createdAt!: Date;
  @Prop({ required: true }) expiresAt!: Date;
  @Prop({ type: Date, default: null }) revokedAt!: Date | null;
  @Prop({ type: String, default: null }) revokedReason!: string | null;
}
export const SessionSchema = SchemaFactory.createForClass(SessionDocument);
// An expired session is useless; the database drops it (and its tokens below) by itself.
SessionSchema.index({ expiresAt: 1 }, { expireAfterSeconds: 0 });

/**
 * Every refresh token ever issued in a family, stored by its SHA-256 hash. A used (rotated) token that
 * comes back is a replay: the whole family is revoked.
 */
@Schema({ collection: 'auth_refresh_tokens', versionKey: false })
export class RefreshTokenDocument {
  /** SHA-256 of the token, hex. */
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true, index: true }) sessionId!: string;
  @Prop({ required: true }) userId!: string;
  @Prop({ type: Date, default: null }) usedAt!: Date | null;
  @Prop({ required: true }) expiresAt!: Date;
}
export const RefreshTokenSchema = SchemaFactory.createForClass(RefreshTokenDocument);
// Kept until the session's end (not just until rotated) so a replayed old token is still recognised.
RefreshTokenSchema.index({ expiresAt: 1 }, { expireAfterSeconds: 0 });
