import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { isValidObjectId, Model, Types } from 'mongoose';
import { Role } from '../auth/auth-user';
import { ConflictError } from '../common/domain-error';
import { AuthStateVersionRepository } from './auth-state-version.repository';
import { UserRecord } from './user.entity';
import { UserDocument } from './users.schema';

type LeanUser = UserDocument & { _id: Types.ObjectId };

export interface NewUser {
  username: string;
  displayName: string;
  passwordHash: string;
  role: Role;
}

export interface UserPageQuery {
  /** Username prefix (case-insensitive). */
  prefix?: string;
  /** Lower-cased username of the last item of the previous page. */
  after?: string;
  limit: number;
}

const DUPLICATE_KEY = 11000;

/** Changes after which an access token of the account may grant less (or nothing): see AuthStateVersion. */
const AUTH_FIELDS = ['role', 'bannedAt', 'passwordHash'] as const;

/** All account I/O; returns plain UserRecords. */
@Injectable()
export class UsersRepository {
  constructor(
    @InjectModel(UserDocument.name) private readonly model: Model<UserDocument>,
    private readonly authState: AuthStateVersionRepository,
  ) {}

  async create(user: NewUser): Promise<UserRecord> {
    try {
      const doc = await this.model.create({ ...user, usernameLower: user.username.toLowerCase() });
      return toRecord(doc.toObject() as LeanUser);
    } catch (err) {
      if ((err as { code?: number }).code === DUPLICATE_KEY) {
        throw new ConflictError('username is taken', 'username');
      }
      throw err;
    }
  }

  async count(): Promise<number> {
    return this.model.estimatedDocumentCount().exec();
  }

  /** The account created first (ObjectIds grow with creation time). */
  async findFirst(): Promise<UserRecord | null> {
    const doc = await this.model.findOne().sort({ _id: 1 }).lean<LeanUser>().exec();
    return doc ? toRecord(doc) : null;
  }

  /**
   * The driver collection, not a mongoose query: every authentication that misses AuthService's cache
   * reads the account (mongoose's query machinery cost more than the read itself in the handshake
   * profile, docs/performance.md). No projection: an account document is small and the record needs most
   * of it.
   */
  async findById(id: string): Promise<UserRecord | null> {
    if (!isValidObjectId(id)) return null;
    const doc = await this.model.collection.findOne<LeanUser>({ _id: new Types.ObjectId(id) });
    return doc ? toRecord(doc) : null;
  }

  /** Several accounts in one read through the driver (authentications of a storm share reads). */
  async findRecordsById(ids: readonly string[]): Promise<Map<string, UserRecord>> {
    const valid = ids.filter((id) => isValidObjectId(id)).map((id) => new Types.ObjectId(id));
    if (valid.length === 0) return new Map();
    const docs = await this.model.collection.find<LeanUser>({ _id: { $in: valid } }).toArray();
    return new Map(docs.map((doc) => [doc._id.toHexString(), toRecord(doc)]));
  }

  async findByIds(ids: readonly string[]): Promise<UserRecord[]> {
    const valid = ids.filter((id) => isValidObjectId(id));
    if (valid.length === 0) return [];
    const docs = await this.model
      .find({ _id: { $in: valid } })
      .lean<LeanUser[]>()
      .exec();
    return docs.map(toRecord);
  }

  async findByUsername(username: string): Promise<UserRecord | null> {
    const doc = await this.model.findOne({ usernameLower: username.toLowerCase() }).lean<LeanUser>().exec();
    return doc ? toRecord(doc) : null;
  }

  /** Ordered by username; prefix search is a range scan on the unique index. */
  async page(query: UserPageQuery): Promise<UserRecord[]> {
    const range: Record<string, string> = {};
    if (query.prefix) {
      const prefix = query.prefix.toLowerCase();
      range.$gte = prefix;
      range.$lt = `${prefix}\uffff`;
    }
    if (query.after && (!range.$gte || query.after >= range.$gte)) {
      delete range.$gte;
      range.$gt = query.after;
    }
    const filter = Object.keys(range).length > 0 ? { usernameLower: range } : {};
    const docs = await this.model
      .find(filter)
      .sort({ usernameLower: 1 })
      .limit(query.limit)
      .lean<LeanUser[]>()
      .exec();
    return docs.map(toRecord);
  }

  async update(
    id: string,
    changes: Partial<Pick<UserRecord, 'displayName' | 'passwordHash' | 'role' | 'bannedAt' | 'bannedReason'>>,
  ): Promise<UserRecord | null> {
    if (!isValidObjectId(id)) return null;
    const doc = await this.model
      .findByIdAndUpdate(id, { $set: changes }, { new: true })
      .lean<LeanUser>()
      .exec();
    // After the write, before the caller acknowledges or announces it: a node that reads the new version
    // reads this change too.
    if (doc && AUTH_FIELDS.some((field) => changes[field] !== undefined)) await this.authState.bump();
    return doc ? toRecord(doc) : null;
  }
}

function toRecord(doc: LeanUser): UserRecord {
  return {
    id: doc._id.toHexString(),
    username: doc.username,
    displayName: doc.displayName,
    passwordHash: doc.passwordHash,
    role: doc.role,
    bannedAt: doc.bannedAt ?? null,
    bannedReason: doc.bannedReason ?? null,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
  };
}
