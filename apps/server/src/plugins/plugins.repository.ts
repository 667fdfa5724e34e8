import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { randomUUID } from 'node:crypto';
import { Model } from 'mongoose';
import { PluginKvDocument, PluginStateDocument, SanctionDocument } from './plugins.schema';

export interface PluginStateRecord {
  id: string;
  enabled: boolean;
  settings: Record<string, unknown> | null;
  updatedAt: Date;
  updatedBy: string | null;
}

export interface SanctionRecord {
  id: string;
  kind: 'mute' | 'ban';
  userId: string;
  roomId: string | null;
  until: Date | null;
  reason: string;
  by: string;
  createdAt: Date;
}

const SEPARATOR = '\u0000';

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** All plugin-host I/O: admin decisions, plugins' private key-value stores, and sanctions. */
@Injectable()
export class PluginsRepository {
  constructor(
    @InjectModel(PluginStateDocument.name) private readonly states: Model<PluginStateDocument>,
    @InjectModel(PluginKvDocument.name) private readonly kv: Model<PluginKvDocument>,
    @InjectModel(SanctionDocument.name) private readonly sanctions: Model<SanctionDocument>,
  ) {}

  async findStates(): Promise<PluginStateRecord[]> {
    const docs = await this.states.find().lean<PluginStateDocument[]>().exec();
    return docs.map(toState);
  }

  async findState(id: string): Promise<PluginStateRecord | null> {
    const doc = await this.states.findById(id).lean<PluginStateDocument>().exec();
    return doc ? toState(doc) : null;
  }

  async saveState(state: PluginStateRecord): Promise<void> {
    await this.states
      .updateOne(
        { _id: state.id },
        {
          $set: {
            enabled: state.enabled,
            settings: state.settings,
            updatedAt: state.updatedAt,
            updatedBy: state.updatedBy,
          },
        },
        { upsert: true },
      )
      .exec();
  }

  async kvGet(pluginId: string, key: string, now: Date): Promise<unknown> {
    const doc = await this.kv
      .findById(pluginId + SEPARATOR + key)
      .lean<PluginKvDocument>()
      .exec();
    if (!doc || (doc.expiresAt && doc.expiresAt <= now)) return undefined;
    return doc.value;
  }

  async kvSet(pluginId: string, key: string, value: unknown, expiresAt: Date | null): Promise<void> {
    await this.kv
      .updateOne(
        { _id: pluginId + SEPARATOR + key },
        { $set: { pluginId, key, value, expiresAt } },
        { upsert: true },
      )
      .exec();
  }

  async kvDelete(pluginId: string, key: string): Promise<void> {
    await this.kv.deleteOne({ _id: pluginId + SEPARATOR + key }).exec();
  }

  async kvList(
    pluginId: string,
    prefix: string,
    limit: number,
    now: Date,
  ): Promise<Array<{ key: string; value: unknown }>> {
    const docs = await this.kv
      .find({
        pluginId,
        ...idRangeOfPrefix(pluginId + SEPARATOR + prefix),
        key: { $regex: `^${escapeRegex(prefix)}` },
        $or: [{ expiresAt: null }, { expiresAt: { $gt: now } }],
      })
      .sort({ key: 1 })
      .limit(limit)
      .lean<PluginKvDocument[]>()
      .exec();
    return docs.map((doc) => ({ key: doc.key, value: doc.value }));
  }

  /** Atomic add; a missing or expired entry counts as 0. */
  async kvIncrement(pluginId: string, key: string, by: number): Promise<number> {
    const doc = await this.kv
      .findOneAndUpdate(
        { _id: pluginId + SEPARATOR + key },
        { $inc: { value: by }, $setOnInsert: { pluginId, key, expiresAt: null } },
        { upsert: true, new: true },
      )
      .lean<PluginKvDocument>()
      .exec();
    return Number(doc?.value ?? 0);
  }

  async addSanction(sanction: Omit<SanctionRecord, 'id'>): Promise<SanctionRecord> {
    const id = randomUUID();
    await this.sanctions.create({ _id: id, ...sanction });
    return { id, ...sanction };
  }

  /** Removes the user's sanctions of this kind (for mutes: in that room, or the install-wide one). */
  async removeSanctions(userId: string, kind: 'mute' | 'ban', roomId: string | null): Promise<number> {
    const res = await this.sanctions
      .deleteMany(kind === 'ban' ? { userId, kind } : { userId, kind, roomId })
      .exec();
    return res.deletedCount;
  }

  async activeSanctions(now: Date, userId?: string): Promise<SanctionRecord[]> {
    const docs = await this.sanctions
      .find({ ...(userId ? { userId } : {}), $or: [{ until: null }, { until: { $gt: now } }] })
      .lean<SanctionDocument[]>()
      .exec();
    return docs.map((doc) => ({
      id: doc._id,
      kind: doc.kind,
      userId: doc.userId,
      roomId: doc.roomId ?? null,
      until: doc.until ?? null,
      reason: doc.reason,
      by: doc.by,
      createdAt: doc.createdAt,
    }));
  }
}

function toState(doc: PluginStateDocument): PluginStateRecord {
  return {
    id: doc._id,
    enabled: doc.enabled,
    settings: doc.settings ?? null,
    updatedAt: doc.updatedAt,
    updatedBy: doc.updatedBy ?? null,
  };
}

/**
 * The `_id` range holding every id that starts with `prefix` (an index range on both MongoDB and the
 * docstore, where an anchored regex alone scans all of the plugin's keys). Bounded by the prefix with its
 * last character raised by one, which is exact in code-unit and code-point order alike for characters
 * below the surrogates; other prefixes get only the lower bound (the regex on `key` still decides).
 */
function idRangeOfPrefix(prefix: string): { _id: { $gte: string; $lt?: string } } {
  const last = prefix.charCodeAt(prefix.length - 1);
  if (last < 0xd7ff) {
    return { _id: { $gte: prefix, $lt: prefix.slice(0, -1) + String.fromCharCode(last + 1) } };
  }
  return { _id: { $gte: prefix } };
}
