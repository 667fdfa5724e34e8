import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Collection } from 'mongodb';
import { Model } from 'mongoose';
import { AuthStateVersionRepository } from '../users/auth-state-version.repository';
import { RefreshTokenDocument, SessionDocument } from './sessions.schema';

export interface SessionRecord {
  id: string;
  userId: string;
  createdAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
  revokedReason: string | null;
}

export interface RefreshTokenRecord {
  hash: string;
  sessionId: string;
  userId: string;
  usedAt: Date | null;
  expiresAt: Date;
}

/**
 * Sessions and their refresh tokens (hashed). All I/O of the auth feature lives here. A revocation bumps
 * the auth state version (AuthStateVersionRepository) once written, before the caller announces it.
 */
@Injectable()
export class SessionsRepository {
  /** The driver's collection under the model (string ids), for the hot read. */
  private readonly sessionRows: Collection<SessionDocument>;

  constructor(
    @InjectModel(SessionDocument.name) private readonly sessions: Model<SessionDocument>,
    @InjectModel(RefreshTokenDocument.name) private readonly tokens: Model<RefreshTokenDocument>,
    private readonly authState: AuthStateVersionRepository,
  ) {
    this.sessionRows = sessions.db.collection<SessionDocument>(sessions.collection.collectionName);
  }

  async createSession(session: {
    id: string;
    userId: string;
    createdAt: Date;
    expiresAt: Date;
  }): Promise<void> {
    await this.sessions.create({
      _id: session.id,
      userId: session.userId,
      createdAt: session.createdAt,
      expiresAt: session.expiresAt,
      revokedAt: null,
      revokedReason: null,
    });
  }

  /** The driver collection, not a mongoose query: read by every authentication that misses the cache. */
  async findSession(id: string): Promise<SessionRecord | null> {
    const doc = await this.sessionRows.findOne({ _id: id });
    return doc ? toSessionRecord(doc) : null;
  }

  /** Several sessions in one read (checks of a reconnect storm share reads); unknown ids are absent. */
  async findSessions(ids: readonly string[]): Promise<Map<string, SessionRecord>> {
    const docs = await this.sessionRows.find({ _id: { $in: [...ids] } }).toArray();
    return new Map(docs.map((doc) => [doc._id, toSessionRecord(doc)]));
  }

  /** Returns whether the session was live before this call. */
  async revokeSession(id: string, reason: string, at: Date): Promise<boolean> {
    const res = await this.sessions
      .updateOne({ _id: id, revokedAt: null }, { $set: { revokedAt: at, revokedReason: reason } })
      .exec();
    if (res.modifiedCount === 0) return false;
    await this.authState.bump();
    return true;
  }

  /** Revokes every live session of the user; returns how many. */
  async revokeUserSessions(userId: string, reason: string, at: Date): Promise<number> {
    const res = await this.sessions
      .updateMany({ userId, revokedAt: null }, { $set: { revokedAt: at, revokedReason: reason } })
      .exec();
    if (res.modifiedCount > 0) await this.authState.bump();
    return res.modifiedCount;
  }

  async insertRefreshToken(token: RefreshTokenRecord): Promise<void> {
    await this.tokens.create({
      _id: token.hash,
      sessionId: token.sessionId,
      userId: token.userId,
      usedAt: token.usedAt,
      expiresAt: token.expiresAt,
    });
  }

  async findRefreshToken(hash: string): Promise<RefreshTokenRecord | null> {
    const doc = await this.tokens.findById(hash).lean<RefreshTokenDocument>().exec();
    return doc
      ? {
          hash: doc._id,
          sessionId: doc.sessionId,
          userId: doc.userId,
          usedAt: doc.usedAt ?? null,
          expiresAt: doc.expiresAt,
        }
      : null;
  }

  /**
   * Marks an unused token used. Conditional on `usedAt: null`, so of two concurrent refreshes with the
   * same token only one wins; the loser is treated as a replay.
   */
  async markRefreshTokenUsed(hash: string, at: Date): Promise<boolean> {
    const res = await this.tokens.updateOne({ _id: hash, usedAt: null }, { $set: { usedAt: at } }).exec();
    return res.modifiedCount > 0;
  }
}

function toSessionRecord(doc: SessionDocument): SessionRecord {
  return {
    id: doc._id,
    userId: doc.userId,
    createdAt: doc.createdAt,
    expiresAt: doc.expiresAt,
    revokedAt: doc.revokedAt ?? null,
    revokedReason: doc.revokedReason ?? null,
  };
}
