import { NotFoundError } from '../common/domain-error';
import type { RoomAccessState } from '../rooms/room.entity';
import type { TakenSeq } from '../rooms/rooms.repository';
import type { MessageRecord } from './message.entity';
import type { NewMessage } from './messages.repository';

/** The two writes a group of sends shares (RoomsRepository.takeSeq, MessagesRepository.insertMany). */
export interface GroupCommitStore {
  takeSeq(roomId: string, count: number): Promise<TakenSeq | null>;
  insertMany(messages: readonly NewMessage[]): Promise<Array<MessageRecord | Error>>;
}

/** A send that passed its access check and hooks, waiting for its seq and its insert. */
export interface AcceptedSend {
  message: Omit<NewMessage, 'seq' | 'roomId'>;
  /** Re-checks the sender against the room state the counter write returned; throws to refuse. */
  confirm(room: RoomAccessState): Promise<void>;
}

interface Waiting extends AcceptedSend {
  resolve(record: MessageRecord): void;
  reject(err: unknown): void;
}

/** Sends taken into one counter write and one insert; bounds the work a single command carries. */
export const GROUP_COMMIT_MAX = 64;

/**
 * Group commit of concurrent sends to one room. While a room's counter write is in flight, further
 * sends to it wait; when it returns they go together: one `$inc` by k (seqs v-k+1 … v, in the order
 * the sends were accepted) and one unordered insertMany. Each send still gets its own outcome: its
 * record, or its own error (refused by confirm, duplicate clientMessageId, …). A send arriving when
 * nothing is in flight for its room goes at once, alone, so light load waits for nothing.
 *
 * The next group's counter write starts when the previous group's returns (not after its insert): seqs
 * stay in acceptance order either way, and the counter is never waited on by two groups of one room.
 */
export class MessageGroupCommit {
  /** Rooms with a counter write in flight, and the sends queued behind it. */
  private readonly queues = new Map<string, Waiting[]>();

  constructor(
    private readonly store: GroupCommitStore,
    private readonly maxGroup = GROUP_COMMIT_MAX,
  ) {}

  /** Numbers and stores one accepted send; resolves with its stored record or rejects with its own error. */
  submit(roomId: string, send: AcceptedSend): Promise<MessageRecord> {
    return new Promise<MessageRecord>((resolve, reject) => {
      const waiting: Waiting = { ...send, resolve, reject };
      const queue = this.queues.get(roomId);
      if (queue) {
        queue.push(waiting);
        return;
      }
      this.queues.set(roomId, []);
      this.start(roomId, [waiting]);
    });
  }

  private async commit(roomId: string, group: Waiting[]): Promise<void> {
    let taken: TakenSeq | null;
    try {
      taken = await this.store.takeSeq(roomId, group.length);
    } catch (err) {
      for (const send of group) send.reject(err);
      return;
    } finally {
      this.startNext(roomId);
    }
    if (taken === null) {
      for (const send of group) send.reject(new NotFoundError('room', 'roomId'));
      return;
    }

    // A send refused here leaves its seq unused (a gap, as after a retried send).
    const first = taken.seq - group.length + 1;
    const room = taken.room;
    const confirmed = await Promise.allSettled(group.map(async (send) => send.confirm(room)));
    const stored: Waiting[] = [];
    const messages: NewMessage[] = [];
    confirmed.forEach((outcome, i) => {
      const send = group[i];
      if (outcome.status === 'rejected') {
        send.reject(outcome.reason);
        return;
      }
      stored.push(send);
      messages.push({ ...send.message, roomId, seq: first + i });
    });
    if (messages.length === 0) return;

    let results: Array<MessageRecord | Error>;
    try {
      results = await this.store.insertMany(messages);
    } catch (err) {
      for (const send of stored) send.reject(err);
      return;
    }
    results.forEach((result, i) => {
      if (result instanceof Error) stored[i].reject(result);
      else stored[i].resolve(result);
    });
  }

  /** After a counter write returned: the sends queued behind it go as the next group, if any. */
  private startNext(roomId: string): void {
    const queue = this.queues.get(roomId);
    if (!queue || queue.length === 0) {
      this.queues.delete(roomId);
      return;
    }
    this.start(roomId, queue.splice(0, this.maxGroup));
  }

  private start(roomId: string, group: Waiting[]): void {
    // commit settles every send itself; this only keeps an unexpected fault from going unhandled.
    this.commit(roomId, group).catch((err: unknown) => {
      for (const send of group) send.reject(err);
    });
  }
}
