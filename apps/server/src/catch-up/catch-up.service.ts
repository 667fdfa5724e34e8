import { Injectable } from '@nestjs/common';
import type {
  MerkleBucketContents,
  MerkleReconcilePayload,
  MerkleReconcileResult,
  SyncPage,
  SyncPayload,
} from '@palaver/client';
import { hashBucket, MERKLE_BUCKET_SIZE, MerkleEntry, merkleRoot } from '@palaver/client';
import { AuthUser } from '../auth/auth-user';
import { ForbiddenError, NotFoundError } from '../common/domain-error';
import { toMessageView } from '../messages/message.entity';
import { MessagesRepository } from '../messages/messages.repository';
import { RoomAccess } from '../rooms/room-access.service';
import { SYNC_PAGE_DEFAULT, SYNC_PAGE_MAX } from './catch-up.dto';

/** Differing buckets answered at once (≤ 1,024 messages per answer). */
export const REPAIRED_BUCKETS_MAX = 16;

/**
 * Catch-up: what changed in each room after the client's cursor (its highest applied changeSeq), in
 * changeSeq order, one bounded page per request. Every change stamps the message's changeSeq, so a
 * message edited three times while the client was away is replayed once, at its latest state; the
 * client applies it if its changeSeq is higher than the copy it holds (idempotent, so the overlap with
 * live events received meanwhile is harmless — see docs/realtime.md, "Catch-up").
 */
@Injectable()
export class CatchUpService {
  constructor(
    private readonly messages: MessagesRepository,
    private readonly access: RoomAccess,
  ) {}

  async sync(user: AuthUser, input: SyncPayload): Promise<SyncPage> {
    const limit = Math.min(Math.max(input.limit ?? SYNC_PAGE_DEFAULT, 1), SYNC_PAGE_MAX);
    const page: SyncPage = { changes: [], pending: {}, denied: [] };
    for (const [roomId, cursor] of Object.entries(input.rooms)) {
      const room = limit - page.changes.length;
      if (room === 0) {
        page.pending[roomId] = cursor;
        continue;
      }
      try {
        await this.access.require(user, roomId, 'room.read');
      } catch (err) {
        if (err instanceof NotFoundError || err instanceof ForbiddenError) {
          page.denied.push(roomId);
          continue;
        }
        throw err;
      }
      // One row more than fits says whether the room has more to replay.
      const rows = await this.messages.changedSince(roomId, cursor, room + 1);
      const taken = rows.slice(0, room);
      page.changes.push(...taken.map(toMessageView));
      if (rows.length > room) page.pending[roomId] = taken[taken.length - 1].changeSeq;
    }
    return page;
  }

  /**
   * Merkle reconciliation of a cached window: hashes the same buckets over the store (reading only id,
   * seq and changeSeq) and answers the contents of the buckets whose hash differs, at most
   * REPAIRED_BUCKETS_MAX per answer (`more` says to ask again after applying them).
   */
  async reconcile(user: AuthUser, input: MerkleReconcilePayload): Promise<MerkleReconcileResult> {
    const room = await this.access.require(user, input.roomId, 'room.read');
    const fromSeq = input.fromBucket * MERKLE_BUCKET_SIZE;
    const toSeq = (input.fromBucket + input.buckets.length) * MERKLE_BUCKET_SIZE - 1;
    const entries = await this.messages.seqRangeSummary(room.id, fromSeq, toSeq);
    const groups: MerkleEntry[][] = input.buckets.map(() => []);
    for (const entry of entries) groups[Math.floor((entry.seq - fromSeq) / MERKLE_BUCKET_SIZE)].push(entry);
    const hashes = await Promise.all(groups.map(hashBucket));
    const root = await merkleRoot(hashes);
    if (root === input.root) return { root, repaired: [], more: false };
    const differing = hashes
      .map((hash, i) => ({ hash, i }))
      .filter(({ hash, i }) => hash !== input.buckets[i]);
    const repaired: MerkleBucketContents[] = [];
    for (const { hash, i } of differing.slice(0, REPAIRED_BUCKETS_MAX)) {
      const index = input.fromBucket + i;
      const bucketFrom = index * MERKLE_BUCKET_SIZE;
      const bucketTo = bucketFrom + MERKLE_BUCKET_SIZE - 1;
      const messages = await this.messages.seqRange(room.id, bucketFrom, bucketTo);
      repaired.push({
        index,
        fromSeq: bucketFrom,
        toSeq: bucketTo,
        hash,
        messages: messages.map(toMessageView),
      });
    }
    return { root, repaired, more: differing.length > REPAIRED_BUCKETS_MAX };
  }
}
