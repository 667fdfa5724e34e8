import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { Schema as MongooseSchema } from 'mongoose';

/** What an admin decided about a plugin: enabled or not, and the settings that differ from its defaults. */
@Schema({ collection: 'plugin_states', versionKey: false })
export class PluginStateDocument {
  /** The plugin id. */
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true }) enabled!: boolean;
  @Prop({ type: MongooseSchema.Types.Mixed, default: null }) settings!: Record<string, unknown> | null;
  @Prop({ required: true }) updatedAt!: Date;
  @Prop({ type: String, default: null }) updatedBy!: string | null;
}
export const PluginStateSchema = SchemaFactory.createForClass(PluginStateDocument);

/** One entry of a plugin's private key-value store. */
@Schema({ collection: 'plugin_kv', versionKey: false })
export class PluginKvDocument {
  /** `<plugin id>\u0000<key>` so keys of different plugins can never collide. */
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true, index: true }) pluginId!: string;
  @Prop({ required: true }) key!: string;
  @Prop({ type: MongooseSchema.Types.Mixed }) value!: unknown;
  /** Expired entries read as absent; a TTL index removes them eventually. */
  @Prop({ type: Date, default: null, index: { expireAfterSeconds: 0 } }) expiresAt!: Date | null;
}
export const PluginKvSchema = SchemaFactory.createForClass(PluginKvDocument);
PluginKvSchema.index({ pluginId: 1, key: 1 });

/** A mute or ban issued through the plugin host API (moderation). */
@Schema({ collection: 'plugin_sanctions', versionKey: false })
export class SanctionDocument {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true, enum: ['mute', 'ban'] }) kind!: 'mute' | 'ban';
  @Prop({ required: true, index: true }) userId!: string;
  @Prop({ type: String, default: null }) roomId!: string | null;
  @Prop({ type: Date, default: null }) until!: Date | null;
  @Prop({ required: true }) reason!: string;
  /** The plugin (and through it, the moderator) that issued it. */
  @Prop({ required: true }) by!: string;
  @Prop({ required: true }) createdAt!: Date;
}
export const SanctionSchema = SchemaFactory.createForClass(SanctionDocument);
