import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { FilterQuery, isValidObjectId, Model, mongo, Types, UpdateQuery } from 'mongoose';
import { parseMentions } from '../mentions/mention-parser';
import { searchTokens } from '../search/search-tokens';
import { MessageAttachment, MessageRecord } from './message.entity';
import { MessageDocument } from './messages.schema';

type LeanMessage = MessageDocument & { _id: Types.ObjectId };

export interface NewMessage {
  roomId: string;
  seq: number;
  authorId: string;
  authorUsername: string;
  text: string;
  clientMessageId: string;
  attachments?: MessageAttachment[];
  threadRootId?: string;
}

/** All message I/O; returns plain MessageRecords. */
@Injectable()
export class MessagesRepository {
  constructor(@InjectModel(MessageDocument.name) private readonly model: Model<MessageDocument>) {}

  /**
   * Inserts with changeSeq = seq; a duplicate clientMessageId throws the driver's duplicate-key error.
   * Straight through the driver collection (the send path's one insert): the document is built by
   * newMessageDocument with exactly what the schema would store, so mongoose's document machinery is
   * not needed (messages.repository.spec.ts compares the two).
   */
  async insert(message: NewMessage): Promise<MessageRecord> {
    const doc = newMessageDocument(message, new Date());
    await this.model.collection.insertOne(doc);
    return toRecord(doc);
  }

  /**
   * Inserts several new messages in one unordered command (the send path's group commit). Each gets its
   * own outcome, in input order: the stored record, or the error of its document alone (a duplicate
   * clientMessageId is the driver's duplicate-key error, as from insert). Throws only when the command
   * as a whole failed.
   */
  async insertMany(messages: readonly NewMessage[]): Promise<Array<MessageRecord | Error>> {
    const createdAt = new Date();
    const docs = messages.map((m) => newMessageDocument(m, createdAt));
    if (docs.length === 1) {
      // A group of one (every send under light load): the driver's insertMany goes through its bulk
      // write machinery, measurably dearer than insertOne; one document's error is its own outcome.
      try {
        await this.model.collection.insertOne(docs[0]);
        return [toRecord(docs[0])];
      } catch (err) {
        return [err instanceof Error ? err : new Error(String(err))];
      }
    }
    const failed = new Map<number, Error>();
    try {
      await this.model.collection.insertMany(docs, { ordered: false });
    } catch (err) {
      if (!(err instanceof mongo.MongoBulkWriteError)) throw err;
      const writeErrors = [err.writeErrors].flat();
      if (writeErrors.length === 0) throw err;
      for (const writeError of writeErrors) {
        failed.set(
          writeError.index,
          new mongo.MongoServerError({ message: writeError.errmsg, code: writeError.code }),
        );
      }
    }
    return docs.map((doc, i) => failed.get(i) ?? toRecord(doc));
  }

  async findById(id: string): Promise<MessageRecord | null> {
    if (!isValidObjectId(id)) return null;
    const doc = await this.model.findById(id).lean<LeanMessage>().exec();
    return doc ? toRecord(doc) : null;
  }

  async findByClientMessageId(
    roomId: string,
    authorId: string,
    clientMessageId: string,
  ): Promise<MessageRecord | null> {
    // Driver collection, like insert: this answers retries on the send path.
    const doc = await this.model.collection.findOne<LeanMessage>(
      { roomId, authorId, clientMessageId },
      { projection: { tokens: 0 } },
    );
    return doc ? toRecord(doc) : null;
  }

  /**
   * Stores an edit stamped `changeSeq` if no later change landed, the message is not deleted and its text
   * is still the one the author saw (`seenEditedAt`). When `applied` is false the caller looks at the
   * stored message: deleted, or edited meanwhile (that edit stands), or only a later reaction or thread
   * reply landed (then it tries again with a fresh stamp, so an edit is never lost to a reaction).
   */
  async applyEdit(
    id: string,
    changeSeq: number,
    text: string,
    editedAt: Date,
    seenEditedAt: Date | null,
  ): Promise<{ message: MessageRecord; applied: boolean } | null> {
    return this.applyStamped(
      id,
      changeSeq,
      {
        $set: { text, editedAt, changeSeq, mentions: parseMentions(text), tokens: searchTokens(text) },
      },
      { deletedAt: null, editedAt: seenEditedAt },
    );
  }

  /**
   * Turns the message into a tombstone stamped `changeSeq` unless a later change landed or it is already
   * deleted (then `applied` is false; a caller that finds it not deleted tries again with a fresh stamp).
   */
  async applyDelete(
    id: string,
    changeSeq: number,
    deletedBy: string,
    deletedAt: Date,
  ): Promise<{ message: MessageRecord; applied: boolean } | null> {
    return this.applyStamped(
      id,
      changeSeq,
      { $set: { text: '', deletedAt, deletedBy, changeSeq, mentions: [], tokens: [] } },
      { deletedAt: null },
    );
  }

  /**
   * Adds or removes `userId`'s `emoji` reaction with the change stamp `changeSeq`, unless a later change
   * already landed (then `applied` is false and the caller retries with a fresh stamp, so no reaction is
   * lost and every state of the message has its own changeSeq).
   */
  async applyReaction(
    id: string,
    changeSeq: number,
    emoji: string,
    userId: string,
    add: boolean,
  ): Promise<{ message: MessageRecord; applied: boolean } | null> {
    const path = `reactions.${emoji}`;
    return this.applyStamped(
      id,
      changeSeq,
      add
        ? { $addToSet: { [path]: userId }, $set: { changeSeq } }
        : { $pull: { [path]: userId }, $set: { changeSeq } },
    );
  }

  /** Messages after `afterSeq` not written by `userId` and not deleted; `mentioning` narrows to mentions. */
  async countUnread(
    roomId: string,
    afterSeq: number,
    userId: string,
    mentioning?: string[],
  ): Promise<number> {
    return this.model
      .countDocuments({
        roomId,
        seq: { $gt: afterSeq },
        authorId: { $ne: userId },
        deletedAt: null,
        ...(mentioning ? { mentions: { $in: mentioning } } : {}),
      })
      .exec();
  }

  /**
   * Messages of `roomIds` whose words include every one of `terms` (normalized tokens), newest first by
   * _id, `_id < before` when paging. Multikey index {tokens, roomId}: works the same on MongoDB and the
   * docstore (no text index needed). Deleted messages have no tokens.
   */
  async search(
    roomIds: readonly string[],
    terms: readonly string[],
    before: string | undefined,
    limit: number,
  ): Promise<MessageRecord[]> {
    const docs = await this.model
      .find({
        roomId: { $in: roomIds },
        tokens: { $all: terms },
        deletedAt: null,
        ...(before ? { _id: { $lt: new Types.ObjectId(before) } } : {}),
      })
      .sort({ _id: -1 })
      .limit(limit)
      .lean<LeanMessage[]>()
      .exec();
    return docs.map(toRecord);
  }

  /** id, seq and changeSeq of the messages with fromSeq ≤ seq ≤ toSeq (index {roomId, seq}); for summaries. */
  async seqRangeSummary(
    roomId: string,
    fromSeq: number,
    toSeq: number,
  ): Promise<Array<{ id: string; seq: number; changeSeq: number }>> {
    const docs = await this.model
      .find({ roomId, seq: { $gte: fromSeq, $lte: toSeq } }, { _id: 1, seq: 1, changeSeq: 1 })
      .lean<Array<{ _id: Types.ObjectId; seq: number; changeSeq: number }>>()
      .exec();
    return docs.map((d) => ({ id: d._id.toHexString(), seq: d.seq, changeSeq: d.changeSeq }));
  }

  /** The messages with fromSeq ≤ seq ≤ toSeq, in seq order. */
  async seqRange(roomId: string, fromSeq: number, toSeq: number): Promise<MessageRecord[]> {
    const docs = await this.model
      .find({ roomId, seq: { $gte: fromSeq, $lte: toSeq } })
      .sort({ seq: 1 })
      .lean<LeanMessage[]>()
      .exec();
    return docs.map(toRecord);
  }

  /** Replies of a thread, newest first, seq < before; index {threadRootId, seq}. */
  async threadPage(rootId: string, before: number | undefined, limit: number): Promise<MessageRecord[]> {
    const filter =
      before === undefined ? { threadRootId: rootId } : { threadRootId: rootId, seq: { $lt: before } };
    const docs = await this.model.find(filter).sort({ seq: -1 }).limit(limit).lean<LeanMessage[]>().exec();
    return docs.map(toRecord);
  }

  /** Live (not deleted) replies of a thread: how many, and the newest. */
  async threadStats(rootId: string): Promise<{ replyCount: number; lastReply: MessageRecord | null }> {
    const filter = { threadRootId: rootId, deletedAt: null };
    const [replyCount, last] = await Promise.all([
      this.model.countDocuments(filter).exec(),
      this.model.findOne(filter).sort({ seq: -1 }).lean<LeanMessage>().exec(),
    ]);
    return { replyCount, lastReply: last ? toRecord(last) : null };
  }

  /**
   * Stores a root's thread summary with the change stamp `changeSeq`, unless a later change landed
   * (then the caller recomputes with a fresh stamp).
   */
  async applyThreadSummary(
    rootId: string,
    changeSeq: number,
    thread: NonNullable<MessageRecord['thread']>,
  ): Promise<{ message: MessageRecord; applied: boolean } | null> {
    return this.applyStamped(rootId, changeSeq, { $set: { thread, changeSeq } });
  }

  /**
   * The one way a message changes: `update` applies only if no later change landed (the stored changeSeq
   * is lower than `changeSeq`) and the message still matches `expected`. Returns the stored message either
   * way (`applied` says which), or null if it is gone.
   */
  private async applyStamped(
    id: string,
    changeSeq: number,
    update: UpdateQuery<MessageDocument>,
    expected: FilterQuery<MessageDocument> = {},
  ): Promise<{ message: MessageRecord; applied: boolean } | null> {
    if (!isValidObjectId(id)) return null;
    const doc = await this.model
      .findOneAndUpdate({ ...expected, _id: id, changeSeq: { $lt: changeSeq } }, update, { new: true })
      .lean<LeanMessage>()
      .exec();
    if (doc) return { message: toRecord(doc), applied: true };
    const current = await this.findById(id);
    return current ? { message: current, applied: false } : null;
  }

  /** Newest first, seq < before; index {roomId:1, seq:-1}. */
  async page(roomId: string, before: number | undefined, limit: number): Promise<MessageRecord[]> {
    const filter = before === undefined ? { roomId } : { roomId, seq: { $lt: before } };
    const docs = await this.model.find(filter).sort({ seq: -1 }).limit(limit).lean<LeanMessage[]>().exec();
    return docs.map(toRecord);
  }

  /** Messages changed (created, edited, deleted) after `changeSeq`, oldest change first; index {roomId, changeSeq}. */
  async changedSince(roomId: string, changeSeq: number, limit: number): Promise<MessageRecord[]> {
    const docs = await this.model
      .find({ roomId, changeSeq: { $gt: changeSeq } })
      .sort({ changeSeq: 1 })
      .limit(limit)
      .lean<LeanMessage[]>()
      .exec();
    return docs.map(toRecord);
  }

  async deleteRoom(roomId: string): Promise<number> {
    const res = await this.model.deleteMany({ roomId }).exec();
    return res.deletedCount;
  }
}

/**
 * The stored form of a new message, as `model.create` would write it: every schema field with its
 * default (null dates, empty text), changeSeq = seq, the mentions and search tokens derived from the
 * text, attachments reduced to their declared fields; optional fields absent rather than undefined.
 */
export function newMessageDocument(message: NewMessage, createdAt: Date): LeanMessage {
  return {
    _id: new Types.ObjectId(),
    roomId: message.roomId,
    seq: message.seq,
    changeSeq: message.seq,
    authorId: message.authorId,
    authorUsername: message.authorUsername,
    text: message.text,
    clientMessageId: message.clientMessageId,
    createdAt,
    editedAt: null,
    deletedAt: null,
    deletedBy: null,
    ...(message.attachments
      ? {
          attachments: message.attachments.map(({ mediaId, name, declaredType, declaredSize }) => ({
            mediaId,
            name,
            declaredType,
            declaredSize,
          })),
        }
      : {}),
    mentions: parseMentions(message.text),
    tokens: searchTokens(message.text),
    ...(message.threadRootId !== undefined ? { threadRootId: message.threadRootId } : {}),
  };
}

function toRecord(doc: LeanMessage): MessageRecord {
  return {
    id: doc._id.toHexString(),
    roomId: doc.roomId,
    seq: doc.seq,
    changeSeq: doc.changeSeq,
    authorId: doc.authorId,
    authorUsername: doc.authorUsername,
    text: doc.text ?? '',
    clientMessageId: doc.clientMessageId,
    createdAt: doc.createdAt,
    editedAt: doc.editedAt ?? null,
    deletedAt: doc.deletedAt ?? null,
    deletedBy: doc.deletedBy ?? null,
    ...(doc.attachments?.length
      ? {
          attachments: doc.attachments.map(({ mediaId, name, declaredType, declaredSize }) => ({
            mediaId,
            name,
            declaredType,
            declaredSize,
          })),
        }
      : {}),
    ...(doc.reactions ? { reactions: doc.reactions } : {}),
    ...(doc.mentions?.length ? { mentions: doc.mentions } : {}),
    ...(doc.threadRootId ? { threadRootId: doc.threadRootId } : {}),
    ...(doc.thread ? { thread: doc.thread } : {}),
  };
}
