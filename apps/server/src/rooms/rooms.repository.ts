import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { isValidObjectId, Model, Types } from 'mongoose';
import { MembershipRecord, RoomAccessState, RoomKind, RoomRecord, RoomRole } from './room.entity';
import { RoomDocument, RoomMemberDocument } from './rooms.schema';

type LeanRoom = RoomDocument & { _id: Types.ObjectId };
type LeanMember = RoomMemberDocument & { _id: Types.ObjectId };
type AccessFields = Pick<RoomDocument, 'kind' | 'archivedAt' | 'accessVersion'> & { _id: Types.ObjectId };

/** The fields RoomAccess decides with (RoomAccessState). */
const ACCESS_PROJECTION = { kind: 1, archivedAt: 1, accessVersion: 1 } as const;

export interface NewRoom {
  kind: RoomKind;
  name: string;
  topic: string;
  createdBy: string;
  directUserIds?: string[];
}

/** A counter value taken for a new message, with the room's access state as of that same write. */
export interface TakenSeq {
  /** The last value taken: a take of `count` values owns seq - count + 1 … seq. */
  seq: number;
  room: RoomAccessState;
}

export interface RoomDirectoryQuery {
  /** Name prefix, case-insensitive. */
  prefix?: string;
  /** Opaque cursor from the previous page. */
  after?: { nameLower: string; id: string };
  limit: number;
}

const DUPLICATE_KEY = 11000;

export function isDuplicateKey(err: unknown): boolean {
  return (err as { code?: number } | null)?.code === DUPLICATE_KEY;
}

/** All room and membership I/O; returns plain records. */
@Injectable()
export class RoomsRepository {
  constructor(
    @InjectModel(RoomDocument.name) private readonly rooms: Model<RoomDocument>,
    @InjectModel(RoomMemberDocument.name) private readonly members: Model<RoomMemberDocument>,
  ) {}

  async create(room: NewRoom): Promise<RoomRecord> {
    const directUserIds = room.directUserIds ? [...room.directUserIds].sort() : [];
    const doc = await this.rooms.create({
      kind: room.kind,
      name: room.name,
      nameLower: room.name.toLowerCase(),
      topic: room.topic,
      directUserIds,
      ...(room.kind === 'direct' ? { directKey: directUserIds.join(':') } : {}),
      createdBy: room.createdBy,
    });
    return toRoom(doc.toObject() as LeanRoom);
  }

  async findById(id: string): Promise<RoomRecord | null> {
    if (!isValidObjectId(id)) return null;
    const doc = await this.rooms.findById(id).lean<LeanRoom>().exec();
    return doc ? toRoom(doc) : null;
  }

  /** The room's kind, archive state and access version (RoomAccess's cache fill). */
  async findAccessState(id: string): Promise<RoomAccessState | null> {
    if (!isValidObjectId(id)) return null;
    const doc = await this.rooms.collection.findOne<AccessFields>(
      { _id: new Types.ObjectId(id) },
      { projection: ACCESS_PROJECTION },
    );
    return doc ? toAccessState(doc) : null;
  }

  async findByIds(ids: readonly string[]): Promise<RoomRecord[]> {
    const valid = ids.filter((id) => isValidObjectId(id));
    if (valid.length === 0) return [];
    const docs = await this.rooms
      .find({ _id: { $in: valid } })
      .lean<LeanRoom[]>()
      .exec();
    return docs.map(toRoom);
  }

  async findDirect(userIds: readonly [string, string]): Promise<RoomRecord | null> {
    const key = [...userIds].sort().join(':');
    const doc = await this.rooms.findOne({ directKey: key }).lean<LeanRoom>().exec();
    return doc ? toRoom(doc) : null;
  }

  /** Public rooms ordered by name (then id); prefix search is a range on the name index. */
  async directory(query: RoomDirectoryQuery): Promise<RoomRecord[]> {
    const filter: Record<string, unknown> = { kind: 'public', archivedAt: null };
    const and: Record<string, unknown>[] = [];
    if (query.prefix) {
      const prefix = query.prefix.toLowerCase();
      and.push({ nameLower: { $gte: prefix, $lt: `${prefix}\uffff` } });
    }
    if (query.after && isValidObjectId(query.after.id)) {
      and.push({
        $or: [
          { nameLower: { $gt: query.after.nameLower } },
          { nameLower: query.after.nameLower, _id: { $gt: new Types.ObjectId(query.after.id) } },
        ],
      });
    }
    if (and.length > 0) filter.$and = and;
    const docs = await this.rooms
      .find(filter)
      .sort({ nameLower: 1, _id: 1 })
      .limit(query.limit)
      .lean<LeanRoom[]>()
      .exec();
    return docs.map(toRoom);
  }

  async update(
    id: string,
    changes: Partial<Pick<RoomRecord, 'name' | 'topic' | 'archivedAt'>>,
  ): Promise<RoomRecord | null> {
    if (!isValidObjectId(id)) return null;
    const set: Record<string, unknown> = { ...changes };
    if (changes.name !== undefined) set.nameLower = changes.name.toLowerCase();
    // Archiving or reopening changes who may post: nodes holding cached access must re-check.
    const bump = changes.archivedAt !== undefined ? { $inc: { accessVersion: 1 } } : {};
    const doc = await this.rooms
      .findByIdAndUpdate(id, { $set: set, ...bump }, { new: true })
      .lean<LeanRoom>()
      .exec();
    return doc ? toRoom(doc) : null;
  }

  /** Atomically takes the room's next counter value (for a new message's seq or a change's changeSeq). */
  async nextSeq(roomId: string): Promise<number | null> {
    return (await this.takeSeq(roomId))?.seq ?? null;
  }

  /**
   * nextSeq that also returns the room's access state read by the same atomic write, so the send path
   * learns whether memberships changed since it checked them without another round trip. Goes through
   * the driver collection (one of the hot path's two writes): `updatedAt` is set here as mongoose's
   * timestamps would; null when the room is gone. No projection: a room document is small (and the
   * embedded docstore used to run every projection through mingo, which cost more than the fields saved).
   * `count` > 1 takes that many consecutive values in the one write (group commit of concurrent sends).
   */
  async takeSeq(roomId: string, count = 1): Promise<TakenSeq | null> {
    if (!isValidObjectId(roomId)) return null;
    const doc = (await this.rooms.collection.findOneAndUpdate(
      { _id: new Types.ObjectId(roomId) },
      { $inc: { lastSeq: count }, $set: { updatedAt: new Date() } },
      { returnDocument: 'after' },
    )) as (AccessFields & { lastSeq: number }) | null;
    return doc ? { seq: doc.lastSeq, room: toAccessState(doc) } : null;
  }

  /** Removes the room and its memberships; the messages go with MessagesRepository.deleteRoom. */
  async delete(id: string): Promise<boolean> {
    if (!isValidObjectId(id)) return false;
    const res = await this.rooms.deleteOne({ _id: id }).exec();
    await this.members.deleteMany({ roomId: id }).exec();
    return res.deletedCount > 0;
  }

  // --- memberships

  async findMember(roomId: string, userId: string): Promise<MembershipRecord | null> {
    const doc = await this.members.findOne({ roomId, userId }).lean<LeanMember>().exec();
    return doc ? toMember(doc) : null;
  }

  /** Adds a membership; returns null when the user was already a member (nothing changed). */
  async addMember(
    roomId: string,
    user: { id: string; username: string },
    role: RoomRole,
  ): Promise<MembershipRecord | null> {
    const res = await this.members
      .updateOne(
        { roomId, userId: user.id },
        { $setOnInsert: { roomId, userId: user.id, username: user.username, role, joinedAt: new Date() } },
        { upsert: true },
      )
      .exec()
      .catch((err: unknown) => {
        // Two concurrent joins: the loser's upsert hits the unique index; the member exists either way.
        if (isDuplicateKey(err)) return { upsertedCount: 0 };
        throw err;
      });
    if (res.upsertedCount === 0) return null;
    // The version moves after the membership is written, so a node that re-reads it sees the new member.
    await this.rooms.updateOne({ _id: roomId }, { $inc: { memberCount: 1, accessVersion: 1 } }).exec();
    return this.findMember(roomId, user.id);
  }

  /** Removes a membership; false when there was none. */
  async removeMember(roomId: string, userId: string): Promise<boolean> {
    const res = await this.members.deleteOne({ roomId, userId }).exec();
    if (res.deletedCount === 0) return false;
    // After the delete: a send that takes a seq from now on sees the new version and re-reads the
    // membership (gone), on every node, before the kick or leave is acknowledged.
    await this.rooms.updateOne({ _id: roomId }, { $inc: { memberCount: -1, accessVersion: 1 } }).exec();
    return true;
  }

  async setMemberRole(roomId: string, userId: string, role: RoomRole): Promise<MembershipRecord | null> {
    const doc = await this.members
      .findOneAndUpdate({ roomId, userId }, { $set: { role } }, { new: true })
      .lean<LeanMember>()
      .exec();
    if (!doc) return null;
    await this.rooms.updateOne({ _id: roomId }, { $inc: { accessVersion: 1 } }).exec();
    return toMember(doc);
  }

  async membershipsOf(userId: string): Promise<MembershipRecord[]> {
    const docs = await this.members.find({ userId }).sort({ roomId: 1 }).lean<LeanMember[]>().exec();
    return docs.map(toMember);
  }

  /**
   * membershipsOf for several users in one read (the socket handshakes of a reconnect storm share reads):
   * the driver collection, ordered by the { userId, roomId } index. Users without rooms are absent.
   */
  async membershipsOfUsers(userIds: readonly string[]): Promise<Map<string, MembershipRecord[]>> {
    const docs = await this.members.collection
      .find<LeanMember>({ userId: { $in: [...userIds] } })
      .sort({ userId: 1, roomId: 1 })
      .toArray();
    const byUser = new Map<string, MembershipRecord[]>();
    for (const doc of docs) {
      const list = byUser.get(doc.userId);
      if (list) list.push(toMember(doc));
      else byUser.set(doc.userId, [toMember(doc)]);
    }
    return byUser;
  }

  async membersOf(roomId: string, limit: number): Promise<MembershipRecord[]> {
    const docs = await this.members
      .find({ roomId })
      .sort({ joinedAt: 1 })
      .limit(limit)
      .lean<LeanMember[]>()
      .exec();
    return docs.map(toMember);
  }
}

function toRoom(doc: LeanRoom): RoomRecord {
  return {
    id: doc._id.toHexString(),
    kind: doc.kind,
    name: doc.name,
    topic: doc.topic ?? '',
    archivedAt: doc.archivedAt ?? null,
    directUserIds: doc.directUserIds ?? [],
    memberCount: doc.memberCount ?? 0,
    lastSeq: doc.lastSeq ?? 0,
    createdBy: doc.createdBy,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
  };
}

function toAccessState(doc: AccessFields): RoomAccessState {
  return {
    id: doc._id.toHexString(),
    kind: doc.kind,
    archivedAt: doc.archivedAt ?? null,
    accessVersion: doc.accessVersion ?? 0,
  };
}

function toMember(doc: LeanMember): MembershipRecord {
  return {
    roomId: doc.roomId,
    userId: doc.userId,
    username: doc.username,
    role: doc.role,
    joinedAt: doc.joinedAt,
  };
}
