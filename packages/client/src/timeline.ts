import { bucketOf, MERKLE_BUCKETS_MAX, summarize } from './merkle';
import { MessageView, SyncPage } from './protocol';
import { PalaverSocketError, SocketConnection } from './socket';

export interface RoomTimelineOptions {
  /** Changes per `sync` page (1–500, default 200). */
  pageSize?: number;
  /** Attempts of one sync page while connected before giving up until the next reconnect (default 3). */
  syncAttempts?: number;
  /**
   * How long after a change arrived it counts toward the resume cursor (default 5,000 ms). Two writers in
   * one room can commit (and be delivered) out of counter order; a change received shortly before a
   * disconnect may have overtaken one that never arrived, so the next sync starts below it.
   */
  settleMs?: number;
}

/** Where an applied change came from. */
export type TimelineSource = 'live' | 'replay' | 'repair';

/** What one Merkle reconciliation did. */
export interface ReconcileReport {
  /** Requests sent (one per round of at most 16 differing buckets, per window of 128 buckets). */
  requests: number;
  /** Indices of the buckets the server answered because they differed. */
  repairedBuckets: number[];
  /** Messages received in those buckets. */
  messagesReceived: number;
}

export type TimelineListener = (message: MessageView, source: TimelineSource) => void;

/**
 * A cache of the tracked rooms' messages that stays exactly in step with the server across disconnects.
 *
 * - Every change (create, edit, delete, reaction) is applied only if its changeSeq is higher than the
 *   copy held, so applying is idempotent: a change seen live and again in a replay is applied once.
 * - Per room it keeps a cursor: the highest changeSeq applied. On every (re)connect it sends `sync` with
 *   the resume cursors (below) and applies the replay page by page until nothing is pending.
 * - While a replay runs, live events of the tracked rooms are buffered and applied after it, so the
 *   cursor only moves forward through the replay: if the connection drops mid-replay, the next sync
 *   resumes from where the replay got to, not from a live event that overtook it (which would leave a
 *   gap). The socket joins its room channels during the handshake, before `sync` is sent, so every
 *   change committed after the replay's query arrives live: no gap at the seam.
 * - Writes of one room may commit out of counter order (change N+1 delivered just before N). So the
 *   cursor a sync resumes from (`resumeCursor`) only counts changes received `settleMs` before the
 *   connection was lost; the few newer ones are replayed again and ignored as already held.
 */
export class RoomTimeline {
  private readonly rooms = new Map<string, Map<string, MessageView>>();
  private readonly cursors = new Map<string, number>();
  /** Per room: the cursor a sync resumes from (changes settled, see settleMs). */
  private readonly settled = new Map<string, number>();
  /** Per room: changes applied within the last settleMs, not yet counted in `settled`. */
  private readonly recent = new Map<string, Array<{ changeSeq: number; at: number }>>();
  private readonly settleMs: number;
  private readonly listeners = new Set<TimelineListener>();
  private readonly unsubscribers: Array<() => void> = [];
  private readonly pageSize: number;
  private readonly syncAttempts: number;
  /** Live events held back while a replay runs. */
  private buffered: MessageView[] = [];
  private syncing = false;
  /** Bumped by each (re)connect; an older replay loop stops when it sees a newer generation. */
  private generation = 0;
  private syncedWaiters: Array<() => void> = [];
  /** The last replay that failed for good (until a reconnect retries it). */
  lastSyncError: Error | null = null;

  constructor(
    private readonly socket: SocketConnection,
    options: RoomTimelineOptions = {},
  ) {
    this.pageSize = options.pageSize ?? 200;
    this.syncAttempts = options.syncAttempts ?? 3;
    this.settleMs = options.settleMs ?? 5000;
  }

  /** Starts following the socket: live events, and a replay on this and every later connect. */
  start(): this {
    const live = (message: MessageView) => this.onLive(message);
    this.unsubscribers.push(
      this.socket.on('message.created', live),
      this.socket.on('message.updated', live),
      this.socket.on('message.deleted', live),
      this.socket.on('room.removed', ({ roomId }) => this.untrack(roomId)),
    );
    const onConnect = () => void this.resync();
    // Changes received in the last settleMs before the drop may have overtaken one that never arrived:
    // they no longer count toward the resume cursor, so the next sync replays from below them.
    const onDisconnect = () => {
      const cutoff = Date.now() - this.settleMs;
      for (const roomId of this.recent.keys()) this.settle(roomId, cutoff);
      this.recent.clear();
    };
    this.socket.io.on('connect', onConnect);
    this.socket.io.on('disconnect', onDisconnect);
    this.unsubscribers.push(
      () => void this.socket.io.off('connect', onConnect),
      () => void this.socket.io.off('disconnect', onDisconnect),
    );
    if (this.socket.connected) void this.resync();
    return this;
  }

  stop(): void {
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
    this.generation += 1;
  }

  /**
   * Tracks a room: `fromChangeSeq` is what the caller already holds (0: fetch the room's whole history on
   * the next replay). Starts a replay at once when connected.
   */
  track(roomId: string, fromChangeSeq = 0): void {
    if (this.rooms.has(roomId)) return;
    this.rooms.set(roomId, new Map());
    this.cursors.set(roomId, fromChangeSeq);
    this.settled.set(roomId, fromChangeSeq);
    if (this.socket.connected) void this.resync();
  }

  untrack(roomId: string): void {
    this.rooms.delete(roomId);
    this.cursors.delete(roomId);
    this.settled.delete(roomId);
    this.recent.delete(roomId);
  }

  /** Called with every change actually applied (never twice for one (id, changeSeq)). */
  onApply(listener: TimelineListener): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** The room's messages in seq order, tombstones included. */
  messages(roomId: string): MessageView[] {
    return [...(this.rooms.get(roomId)?.values() ?? [])].sort((a, b) => a.seq - b.seq);
  }

  /** The highest changeSeq applied in the room. */
  lastChangeSeq(roomId: string): number | undefined {
    return this.cursors.get(roomId);
  }

  /**
   * The cursor the next sync sends, and the one to persist with a cached room: the highest changeSeq
   * applied at least settleMs ago (or confirmed by a replay that long ago). It trails lastChangeSeq by
   * the changes of the last few seconds, which a resume replays again (and which are ignored as held).
   */
  resumeCursor(roomId: string): number | undefined {
    if (!this.settled.has(roomId)) return undefined;
    this.settle(roomId, Date.now() - this.settleMs);
    return this.settled.get(roomId);
  }

  get isSyncing(): boolean {
    return this.syncing;
  }

  /** Resolves when no replay is running (after the current one finishes). */
  whenSynced(): Promise<void> {
    if (!this.syncing) return Promise.resolve();
    return new Promise((resolve) => this.syncedWaiters.push(resolve));
  }

  /** Replays what changed since the cursors; runs by itself on every connect. */
  async resync(): Promise<void> {
    const generation = ++this.generation;
    this.syncing = true;
    let pending: Record<string, number> = Object.fromEntries(
      [...this.rooms.keys()].map((roomId) => [roomId, this.resumeCursor(roomId) ?? 0]),
    );
    try {
      while (Object.keys(pending).length > 0) {
        const page = await this.requestPage(pending, generation);
        if (page === null) return; // superseded by a newer connect, or disconnected: that one replays
        for (const roomId of page.denied) this.untrack(roomId);
        for (const message of page.changes) this.apply(message, 'replay');
        pending = Object.fromEntries(
          Object.entries(page.pending).filter(([roomId]) => this.rooms.has(roomId)),
        );
      }
      this.lastSyncError = null;
      this.finishSync();
    } catch (err) {
      this.lastSyncError = err as Error;
    }
  }

  /**
   * Merkle reconciliation of the room's cached window (docs/realtime.md): sends bucket hashes over the
   * seqs held (or `fromBucket`..`toBucket`), and replaces the buckets the server reports as different
   * with the server's contents. Repairs do not move the sync cursor (they may carry changeSeqs beyond
   * changes the client has not replayed yet elsewhere in the room).
   */
  async reconcile(
    roomId: string,
    window?: { fromBucket: number; toBucket: number },
  ): Promise<ReconcileReport> {
    const report: ReconcileReport = { requests: 0, repairedBuckets: [], messagesReceived: 0 };
    const held = this.messages(roomId);
    if (!window && held.length === 0) return report;
    const first = window?.fromBucket ?? bucketOf(held[0].seq);
    const last = window?.toBucket ?? bucketOf(held[held.length - 1].seq);
    for (let from = first; from <= last; from += MERKLE_BUCKETS_MAX) {
      const to = Math.min(last, from + MERKLE_BUCKETS_MAX - 1);
      for (let round = 0; round < MERKLE_BUCKETS_MAX; round += 1) {
        const summary = await summarize(this.messages(roomId), from, to);
        const result = await this.socket.request('sync:merkle', { roomId, ...summary });
        report.requests += 1;
        for (const bucket of result.repaired) {
          report.repairedBuckets.push(bucket.index);
          report.messagesReceived += bucket.messages.length;
          this.replaceRange(roomId, bucket.fromSeq, bucket.toSeq, bucket.messages);
        }
        if (!result.more) break;
      }
    }
    return report;
  }

  /** Makes the held seq range exactly the server's contents. */
  private replaceRange(roomId: string, fromSeq: number, toSeq: number, messages: MessageView[]): void {
    const room = this.rooms.get(roomId);
    if (!room) return;
    const keep = new Set(messages.map((m) => m.id));
    for (const [id, held] of room) {
      if (held.seq >= fromSeq && held.seq <= toSeq && !keep.has(id)) room.delete(id);
    }
    for (const message of messages) {
      const held = room.get(message.id);
      if (held && held.changeSeq === message.changeSeq) continue;
      room.set(message.id, message);
      for (const listener of this.listeners) listener(message, 'repair');
    }
  }

  private async requestPage(rooms: Record<string, number>, generation: number): Promise<SyncPage | null> {
    for (let attempt = 1; ; attempt += 1) {
      if (generation !== this.generation || !this.socket.connected) return null;
      try {
        const page = await this.socket.request('sync', { rooms, limit: this.pageSize });
        return generation === this.generation ? page : null;
      } catch (err) {
        const retriable = err instanceof PalaverSocketError && err.code === 'timeout';
        if (!retriable || attempt >= this.syncAttempts) throw err;
      }
    }
  }

  private finishSync(): void {
    this.syncing = false;
    const held = this.buffered;
    this.buffered = [];
    for (const message of held) this.apply(message, 'live');
    for (const resolve of this.syncedWaiters.splice(0)) resolve();
  }

  private onLive(message: MessageView): void {
    if (!this.rooms.has(message.roomId)) return;
    if (this.syncing) this.buffered.push(message);
    else this.apply(message, 'live');
  }

  /** Counts the room's changes received at or before `cutoff` into its resume cursor. */
  private settle(roomId: string, cutoff: number): void {
    const recent = this.recent.get(roomId);
    if (!recent) return;
    let cursor = this.settled.get(roomId) ?? 0;
    let kept = 0;
    for (const entry of recent) {
      if (entry.at <= cutoff) cursor = Math.max(cursor, entry.changeSeq);
      else recent[kept++] = entry;
    }
    recent.length = kept;
    if (this.settled.has(roomId)) this.settled.set(roomId, cursor);
  }

  /** Applies a change if it is newer than the copy held; returns whether it did. */
  private apply(message: MessageView, source: TimelineSource): boolean {
    const room = this.rooms.get(message.roomId);
    if (!room) return false;
    const held = room.get(message.id);
    if (held && held.changeSeq >= message.changeSeq) return false;
    room.set(message.id, message);
    if (message.changeSeq > (this.cursors.get(message.roomId) ?? 0)) {
      this.cursors.set(message.roomId, message.changeSeq);
    }
    const recent = this.recent.get(message.roomId) ?? [];
    recent.push({ changeSeq: message.changeSeq, at: Date.now() });
    this.recent.set(message.roomId, recent);
    this.settle(message.roomId, Date.now() - this.settleMs);
    for (const listener of this.listeners) listener(message, source);
    return true;
  }
}
