import {
  MediaCompletedEvent,
  MessageView,
  newClientMessageId,
  PalaverClient,
  PresenceStatus,
  RoomMemberView,
  RoomReadState,
  RoomTimeline,
  RoomView,
  SendMessageAck,
  PalaverSocketError,
  PinView,
  SearchHit,
  UserView,
} from '@palaver/client';
import { describeError } from './errors';
import { startTusUpload } from '../media/tus-upload';

export type ConnectionState = 'connecting' | 'online' | 'reconnecting' | 'offline' | 'ended';

/** A message typed here that the server has not confirmed yet (or refused). */
export interface PendingMessage {
  clientMessageId: string;
  roomId: string;
  threadRootId?: string;
  text: string;
  error?: string;
}

/** What is known about a media file's upload, from its info or the room's media events. */
export interface MediaState {
  status: 'uploading' | 'complete' | 'failed';
  committedBytes: number;
  declaredSize: number;
  contentType?: string;
  thumbnailUrl?: string | null;
  failure?: string;
}

/** A file this member is uploading from this page. */
export interface LocalUpload {
  id: number;
  roomId: string;
  name: string;
  sent: number;
  total: number;
  error?: string;
  abort(): void;
}

export interface Notice {
  id: number;
  kind: 'error' | 'info';
  text: string;
}

/** The message search pane: its query, scope and the hits loaded so far (newest first). */
export interface SearchState {
  q: string;
  /** Only this room; null: every room of the member. */
  roomId: string | null;
  hits: SearchHit[];
  nextBefore: string | null;
  loading: boolean;
  /** A search has run for this query (an empty result is then "nothing found"). */
  done: boolean;
  error?: string;
}

interface HistoryWindow {
  /** Messages with seq below this are not shown until older pages are loaded (0: everything loaded). */
  windowStart: number;
  nextBefore: number | null;
  loading: boolean;
  loaded: boolean;
}

const PAGE_SIZE = 50;
const SEND_RETRIES = 2;
/** Changes replayed again when a room starts being tracked: writes may commit out of counter order. */
const TRACK_MARGIN = 20;
const TYPING_REPEAT_MS = 3000;
/** How far back (in pages) opening a search result walks a room's history to reach the message. */
const JUMP_MAX_PAGES = 40;
/** How long a tab whose session ended waits for a successor session stored by another tab of this browser. */
const SUCCESSOR_SESSION_GRACE_MS = 1500;

/**
 * Everything the chat UI shows, fed by the SDK: rooms, messages (through RoomTimeline, so a reconnect
 * catches up with no gap and no duplicate), read state, presence, typing, media progress.
 * React reads it through `version` (useSyncExternalStore); every change bumps it.
 */
export class ChatStore {
  version = 0;
  connection: ConnectionState = 'connecting';
  me: UserView;
  readonly rooms = new Map<string, RoomView>();
  readonly readStates = new Map<string, RoomReadState>();
  readonly presence = new Map<string, PresenceStatus>();
  readonly media = new Map<string, MediaState>();
  readonly pending = new Map<string, PendingMessage>();
  readonly members = new Map<string, RoomMemberView[]>();
  /** Pinned messages per room (newest pin first), loaded when the room is opened, then kept live. */
  readonly pins = new Map<string, PinView[]>();
  /** The message search pane, or null when it is closed. */
  search: SearchState | null = null;
  /** A message brought into view and marked (an opened search result). */
  focusMessageId: string | null = null;
  notices: Notice[] = [];
  uploads: LocalUpload[] = [];
  activeRoomId: string | null = null;
  threadRootId: string | null = null;
  /** The read marker when the active room was opened: the "new" divider sits after it. */
  openedAtReadSeq = 0;

  private timeline: RoomTimeline | null = null;
  private readonly messagesByRoom = new Map<string, Map<string, MessageView>>();
  private readonly sorted = new Map<string, MessageView[]>();
  private readonly windows = new Map<string, HistoryWindow>();
  private readonly activity = new Map<string, number>();
  private readonly typing = new Map<string, Map<string, { username: string; until: number }>>();
  private readonly listeners = new Set<() => void>();
  private readonly cleanups: Array<() => void> = [];
  private readonly markedSeq = new Map<string, number>();
  private lastTypingSent = 0;
  private noticeId = 0;
  private uploadId = 0;
  private readStatesTimer: ReturnType<typeof setTimeout> | undefined;
  private disposed = false;
  /** This tab is replacing its session (password change): the old session's end is expected. */
  private replacingSession = false;
  /** The refresh token held when the socket last connected (a different one later: a successor session). */
  private connectedRefreshToken: string | undefined;

  constructor(
    readonly client: PalaverClient,
    me: UserView,
  ) {
    this.me = me;
  }

  // --- React

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  };

  getVersion = (): number => this.version;

  private changed(): void {
    if (this.disposed) return;
    this.version += 1;
    for (const listener of this.listeners) listener();
  }

  // --- lifecycle

  /** Connects and follows the server; dispose() undoes it (and a later start() begins afresh). */
  async start(): Promise<void> {
    this.disposed = false;
    const timeline = new RoomTimeline(this.client.socket).start();
    this.timeline = timeline;
    this.cleanups.push(() => timeline.stop());
    this.cleanups.push(timeline.onApply((message) => this.put(message)));
    this.listen();
    window.addEventListener('offline', this.onOffline);
    window.addEventListener('online', this.onOnline);
    document.addEventListener('visibilitychange', this.onVisibility);
    this.cleanups.push(() => {
      window.removeEventListener('offline', this.onOffline);
      window.removeEventListener('online', this.onOnline);
      document.removeEventListener('visibilitychange', this.onVisibility);
    });
    const typingSweep = setInterval(() => this.sweepTyping(), 1000);
    this.cleanups.push(() => clearInterval(typingSweep));
    if (!navigator.onLine) {
      this.connection = 'offline';
      this.changed();
      return;
    }
    await this.client.socket.connect();
  }

  dispose(): void {
    this.disposed = true;
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    this.timeline = null;
    // Nothing is tracked any more: a restart loads the rooms again.
    this.windows.clear();
    this.sorted.clear();
    clearTimeout(this.readStatesTimer);
    this.client.socket.disconnect();
  }

  private onOffline = (): void => {
    // The browser knows the network is gone: drop the socket now rather than waiting for a ping timeout.
    this.client.socket.disconnect();
    this.connection = 'offline';
    this.changed();
  };

  private onOnline = (): void => {
    if (this.connection === 'ended') return;
    this.connection = 'connecting';
    this.changed();
    this.client.socket.io.connect();
  };

  private onVisibility = (): void => {
    if (!this.client.socket.connected) return;
    const status = document.visibilityState === 'visible' ? 'online' : 'away';
    this.client.socket.request('presence:set', { status }).catch(() => undefined);
    if (status === 'online') this.markActiveRoomRead();
  };

  private listen(): void {
    const socket = this.client.socket;
    const on = socket.on.bind(socket);
    const io = socket.io;
    const onConnect = () => void this.onConnected();
    const onDisconnect = (reason: string) => {
      if (this.connection === 'ended' || this.connection === 'offline') return;
      this.connection =
        reason === 'io server disconnect' && !this.replacingSession ? 'ended' : 'reconnecting';
      this.changed();
    };
    io.on('connect', onConnect);
    io.on('disconnect', onDisconnect);
    this.cleanups.push(
      () => void io.off('connect', onConnect),
      () => void io.off('disconnect', onDisconnect),
      on('room.added', (room) => {
        this.rooms.set(room.id, room);
        this.touch(room.id);
        this.changed();
      }),
      on('room.updated', (room) => {
        const held = this.rooms.get(room.id);
        if (held) this.rooms.set(room.id, { ...room, myRole: held.myRole });
        this.changed();
      }),
      on('room.removed', ({ roomId, reason }) => {
        const room = this.rooms.get(roomId);
        this.rooms.delete(roomId);
        this.readStates.delete(roomId);
        if (this.activeRoomId === roomId) {
          this.activeRoomId = null;
          this.threadRootId = null;
          if (room && reason !== 'left') this.notify('info', `You are no longer in ${room.name} (${reason})`);
        }
        this.changed();
      }),
      on('room.member.joined', (event) => {
        const list = this.members.get(event.roomId);
        const room = this.rooms.get(event.roomId);
        // Also sent on a role change: only a member not listed yet is a new one.
        if (room && event.userId !== this.me.id && !list?.some((m) => m.userId === event.userId))
          this.rooms.set(room.id, { ...room, memberCount: room.memberCount + 1 });
        if (list) {
          const rest = list.filter((m) => m.userId !== event.userId);
          this.members.set(event.roomId, [
            ...rest,
            { ...event, joinedAt: (event as { joinedAt?: string }).joinedAt ?? new Date().toISOString() },
          ]);
          void this.queryPresence([event.userId]);
        }
        this.changed();
      }),
      on('room.member.left', (event) => {
        const list = this.members.get(event.roomId);
        const room = this.rooms.get(event.roomId);
        if (room) this.rooms.set(room.id, { ...room, memberCount: Math.max(0, room.memberCount - 1) });
        if (list)
          this.members.set(
            event.roomId,
            list.filter((m) => m.userId !== event.userId),
          );
        this.changed();
      }),
      on('message.created', (message) => {
        this.touch(message.roomId);
        const room = this.rooms.get(message.roomId);
        if (room && message.seq > room.lastSeq) this.rooms.set(room.id, { ...room, lastSeq: message.seq });
        if (message.authorId !== this.me.id) this.refreshReadStatesSoon();
        this.dropTyping(message.roomId, message.authorId);
        this.changed();
      }),
      on('read.updated', () => this.refreshReadStatesSoon()),
      on('pin.added', (pin) => {
        const list = this.pins.get(pin.roomId);
        if (list) this.pins.set(pin.roomId, [pin, ...list.filter((p) => p.message.id !== pin.message.id)]);
        this.changed();
      }),
      on('pin.removed', ({ roomId, messageId }) => {
        const list = this.pins.get(roomId);
        if (list)
          this.pins.set(
            roomId,
            list.filter((p) => p.message.id !== messageId),
          );
        this.changed();
      }),
      on('notification', (event) => {
        if (event.roomId !== this.activeRoomId || document.visibilityState !== 'visible') {
          const room = this.rooms.get(event.roomId);
          this.notify(
            'info',
            `${event.authorUsername} mentioned you in ${room ? this.roomTitle(room) : 'a room'}`,
          );
        }
        this.refreshReadStatesSoon();
      }),
      on('presence.updated', ({ userId, status }) => {
        this.presence.set(userId, status);
        this.changed();
      }),
      on('typing.updated', (event) => {
        if (event.userId === this.me.id) return;
        if (event.typing) {
          const room = this.typing.get(event.roomId) ?? new Map();
          room.set(event.userId, { username: event.username, until: Date.now() + event.ttlMs });
          this.typing.set(event.roomId, room);
        } else this.dropTyping(event.roomId, event.userId);
        this.changed();
      }),
      on('media.progress', (event) => {
        const held = this.media.get(event.mediaId);
        if (held && held.status !== 'uploading') return;
        this.media.set(event.mediaId, {
          status: 'uploading',
          committedBytes: Math.max(event.committedBytes, held?.committedBytes ?? 0),
          declaredSize: event.declaredSize,
        });
        this.changed();
      }),
      on('media.completed', (event) => {
        this.mediaCompleted(event);
        this.changed();
      }),
      on('media.failed', (event) => {
        const held = this.media.get(event.mediaId);
        this.media.set(event.mediaId, {
          status: 'failed',
          committedBytes: held?.committedBytes ?? 0,
          declaredSize: held?.declaredSize ?? 0,
          failure: event.message || event.reason,
        });
        this.changed();
      }),
      on('session.ended', () => {
        if (this.replacingSession) return;
        // The server revoked this session (logout elsewhere, password change, ban): its tokens are dead,
        // unless another tab of this browser changed the password and stored the new session's tokens.
        this.connection = 'ended';
        this.changed();
        setTimeout(() => {
          if (this.disposed) return;
          const held = this.client.http.currentTokens?.refreshToken;
          if (held && held !== this.connectedRefreshToken) {
            this.connection = 'connecting';
            this.changed();
            this.client.socket.connect().catch(() => this.client.http.setTokens(null));
          } else this.client.http.setTokens(null);
        }, SUCCESSOR_SESSION_GRACE_MS);
      }),
    );
  }

  private async onConnected(): Promise<void> {
    this.connection = 'online';
    this.connectedRefreshToken = this.client.http.currentTokens?.refreshToken;
    this.changed();
    try {
      const [rooms, states] = await Promise.all([
        this.client.socket.listRooms(),
        this.client.socket.request('read:states', {}),
      ]);
      this.rooms.clear();
      rooms.forEach((room, index) => {
        this.rooms.set(room.id, room);
        if (!this.activity.has(room.id)) this.activity.set(room.id, -index);
      });
      this.setReadStates(states);
      // Pins may have moved while disconnected: the open room's list is fetched again, others on opening.
      this.pins.clear();
      if (this.activeRoomId) void this.loadPins(this.activeRoomId);
      const peers = rooms.flatMap((room) => room.directUserIds.filter((id) => id !== this.me.id));
      const memberIds =
        (this.activeRoomId && this.members.get(this.activeRoomId)?.map((m) => m.userId)) || [];
      await this.queryPresence([...new Set([...peers, ...memberIds])]);
      if (document.visibilityState !== 'visible')
        await this.client.socket.request('presence:set', { status: 'away' });
      if (this.activeRoomId && !this.rooms.has(this.activeRoomId)) this.activeRoomId = null;
      if (this.activeRoomId && !this.windows.get(this.activeRoomId)?.loaded)
        await this.openRoom(this.activeRoomId);
    } catch (err) {
      this.notify('error', describeError(err));
    }
    this.changed();
  }

  // --- rooms

  /** Joined rooms, most recently active first. */
  roomList(): RoomView[] {
    return [...this.rooms.values()].sort(
      (a, b) => (this.activity.get(b.id) ?? -1e9) - (this.activity.get(a.id) ?? -1e9),
    );
  }

  roomTitle(room: RoomView): string {
    if (room.kind !== 'direct') return room.name;
    const names = room.name.split(', ');
    return names.find((name) => name.toLowerCase() !== this.me.username.toLowerCase()) ?? room.name;
  }

  /** The other participant of a direct room. */
  directPeer(room: RoomView): string | undefined {
    return room.kind === 'direct' ? room.directUserIds.find((id) => id !== this.me.id) : undefined;
  }

  /** A room this member just created, joined or opened (before its room.added event arrives). */
  adoptRoom(room: RoomView): void {
    this.rooms.set(room.id, room);
    this.touch(room.id);
    this.changed();
  }

  private touch(roomId: string): void {
    this.activity.set(roomId, Date.now());
  }

  /** Shows a room: loads its newest page once and keeps it live and caught up from then on. */
  async openRoom(roomId: string): Promise<void> {
    if (this.activeRoomId !== roomId) {
      this.activeRoomId = roomId;
      this.threadRootId = null;
      this.focusMessageId = null;
      const state = this.readStates.get(roomId);
      // The "new" line only marks what was unread when the room was opened, not what arrives while open.
      this.openedAtReadSeq = state && state.unread > 0 ? state.lastReadSeq : Number.POSITIVE_INFINITY;
      this.changed();
    }
    if (!this.rooms.has(roomId) || !this.client.socket.connected) return;
    if (!this.windows.get(roomId)?.loaded) {
      const window: HistoryWindow = { windowStart: 0, nextBefore: null, loading: true, loaded: false };
      this.windows.set(roomId, window);
      this.changed();
      try {
        const page = await this.client.socket.history({ roomId, limit: PAGE_SIZE });
        const maxChange = page.messages.reduce((max, m) => Math.max(max, m.changeSeq), 0);
        this.putPage(roomId, page.messages, page.nextBefore);
        window.loaded = true;
        // Everything after the page arrives through the timeline: live, and replayed after a reconnect.
        this.timeline?.track(roomId, Math.max(0, maxChange - TRACK_MARGIN));
      } catch (err) {
        this.windows.delete(roomId);
        this.notify('error', describeError(err));
      } finally {
        window.loading = false;
        this.changed();
      }
    }
    void this.loadMembers(roomId);
    if (!this.pins.has(roomId)) void this.loadPins(roomId);
    this.markActiveRoomRead();
  }

  closeRoom(): void {
    this.activeRoomId = null;
    this.threadRootId = null;
    this.changed();
  }

  hasOlder(roomId: string): boolean {
    const window = this.windows.get(roomId);
    return !!window && window.loaded && window.nextBefore !== null;
  }

  isLoading(roomId: string): boolean {
    return this.windows.get(roomId)?.loading ?? false;
  }

  async loadOlder(roomId: string): Promise<void> {
    const window = this.windows.get(roomId);
    if (!window || window.loading || window.nextBefore === null) return;
    window.loading = true;
    this.changed();
    try {
      const page = await this.client.socket.history({ roomId, before: window.nextBefore, limit: PAGE_SIZE });
      this.putPage(roomId, page.messages, page.nextBefore);
    } catch (err) {
      this.notify('error', describeError(err));
    } finally {
      window.loading = false;
      this.changed();
    }
  }

  private putPage(roomId: string, messages: MessageView[], nextBefore: number | null): void {
    const window = this.windows.get(roomId);
    for (const message of messages) this.put(message);
    if (window) {
      window.nextBefore = nextBefore;
      const oldest = messages.reduce((min, m) => Math.min(min, m.seq), Number.POSITIVE_INFINITY);
      window.windowStart = nextBefore === null ? 0 : Math.min(window.windowStart || oldest, oldest);
    }
    this.sorted.delete(roomId);
  }

  /** Applies a message if it is newer than the copy held (pages, live events and replays all meet here). */
  private put(message: MessageView): void {
    const room = this.messagesByRoom.get(message.roomId) ?? new Map<string, MessageView>();
    this.messagesByRoom.set(message.roomId, room);
    const held = room.get(message.id);
    if (held && held.changeSeq >= message.changeSeq) return;
    room.set(message.id, message);
    this.sorted.delete(message.roomId);
    if (message.authorId === this.me.id) this.pending.delete(message.clientMessageId);
    for (const attachment of message.attachments ?? []) {
      if (!this.media.has(attachment.mediaId)) void this.loadMediaInfo(attachment.mediaId);
    }
    if (message.roomId === this.activeRoomId) this.markActiveRoomReadSoon();
    this.changed();
  }

  /** The room's messages in seq order within the loaded window, tombstones included. */
  messages(roomId: string): MessageView[] {
    let list = this.sorted.get(roomId);
    if (!list) {
      const start = this.windows.get(roomId)?.windowStart ?? 0;
      list = [...(this.messagesByRoom.get(roomId)?.values() ?? [])]
        .filter((m) => m.seq >= start)
        .sort((a, b) => a.seq - b.seq);
      this.sorted.set(roomId, list);
    }
    return list;
  }

  message(roomId: string, id: string): MessageView | undefined {
    return this.messagesByRoom.get(roomId)?.get(id);
  }

  pendingIn(roomId: string, threadRootId?: string): PendingMessage[] {
    return [...this.pending.values()].filter(
      (p) => p.roomId === roomId && (p.threadRootId ?? null) === (threadRootId ?? null),
    );
  }

  typingIn(roomId: string): string[] {
    const now = Date.now();
    return [...(this.typing.get(roomId)?.values() ?? [])].filter((t) => t.until > now).map((t) => t.username);
  }

  private dropTyping(roomId: string, userId: string): void {
    this.typing.get(roomId)?.delete(userId);
  }

  private sweepTyping(): void {
    const now = Date.now();
    let dropped = false;
    for (const room of this.typing.values()) {
      for (const [userId, entry] of room) {
        if (entry.until <= now) {
          room.delete(userId);
          dropped = true;
        }
      }
    }
    if (dropped) this.changed();
  }

  // --- threads

  async openThread(rootId: string): Promise<void> {
    const roomId = this.activeRoomId;
    if (!roomId) return;
    this.threadRootId = rootId;
    this.changed();
    try {
      let before: number | undefined;
      // Replies are room messages; the thread pane shows every reply held, so fetch them all (pages of 100).
      for (let page = 0; page < 10; page += 1) {
        const result = await this.client.socket.request('thread:history', { rootId, before, limit: 100 });
        this.put(result.root);
        for (const reply of result.replies) this.put(reply);
        if (result.nextBefore === null) break;
        before = result.nextBefore;
      }
    } catch (err) {
      this.notify('error', describeError(err));
    }
    this.changed();
  }

  closeThread(): void {
    this.threadRootId = null;
    this.changed();
  }

  threadReplies(roomId: string, rootId: string): MessageView[] {
    return [...(this.messagesByRoom.get(roomId)?.values() ?? [])]
      .filter((m) => m.threadRootId === rootId)
      .sort((a, b) => a.seq - b.seq);
  }

  // --- sending

  /** Sends a message (or thread reply); it shows as pending until the server confirms it. */
  async send(roomId: string, text: string, threadRootId?: string): Promise<void> {
    const pending: PendingMessage = { clientMessageId: newClientMessageId(), roomId, text, threadRootId };
    this.pending.set(pending.clientMessageId, pending);
    this.changed();
    await this.deliver(pending);
  }

  async retry(clientMessageId: string): Promise<void> {
    const pending = this.pending.get(clientMessageId);
    if (!pending) return;
    pending.error = undefined;
    this.changed();
    await this.deliver(pending);
  }

  discard(clientMessageId: string): void {
    this.pending.delete(clientMessageId);
    this.changed();
  }

  private async deliver(pending: PendingMessage): Promise<void> {
    const payload = {
      roomId: pending.roomId,
      text: pending.text,
      clientMessageId: pending.clientMessageId,
      ...(pending.threadRootId ? { threadRootId: pending.threadRootId } : {}),
    };
    try {
      if (!this.client.socket.connected) throw new Error('Not connected: the message was not sent');
      let ack: SendMessageAck | undefined;
      // The same clientMessageId on every attempt: the server stores the message once.
      for (let attempt = 0; !ack; attempt += 1) {
        try {
          ack = await this.client.socket.request('message:send', payload);
        } catch (err) {
          if (!(err instanceof PalaverSocketError) || err.code !== 'timeout' || attempt >= SEND_RETRIES)
            throw err;
        }
      }
      this.lastTypingSent = 0;
      // The message itself arrives through the timeline; the pending copy goes when it does.
      if (this.message(pending.roomId, ack.id)) this.pending.delete(pending.clientMessageId);
    } catch (err) {
      const held = this.pending.get(pending.clientMessageId);
      if (held) held.error = describeError(err);
    }
    this.changed();
  }

  async edit(messageId: string, text: string): Promise<void> {
    this.put(await this.client.socket.edit(messageId, text));
  }

  async remove(messageId: string): Promise<void> {
    this.put(await this.client.socket.delete(messageId));
  }

  async toggleReaction(message: MessageView, emoji: string): Promise<void> {
    const mine = message.reactions?.find((r) => r.emoji === emoji)?.userIds.includes(this.me.id);
    try {
      const updated = await this.client.socket.request(mine ? 'reaction:remove' : 'reaction:add', {
        messageId: message.id,
        emoji,
      });
      this.put(updated);
    } catch (err) {
      this.notify('error', describeError(err));
    }
  }

  /** Tells the room this member is typing, at most every 3 s (the server forgets it after its ttl). */
  typingActivity(roomId: string, typing: boolean): void {
    if (!this.client.socket.connected) return;
    const now = Date.now();
    if (typing) {
      if (now - this.lastTypingSent < TYPING_REPEAT_MS) return;
      this.lastTypingSent = now;
      this.client.socket.request('typing:start', { roomId }).catch(() => undefined);
    } else if (this.lastTypingSent) {
      this.lastTypingSent = 0;
      this.client.socket.request('typing:stop', { roomId }).catch(() => undefined);
    }
  }

  // --- read state

  unread(roomId: string): RoomReadState | undefined {
    return this.readStates.get(roomId);
  }

  private setReadStates(states: RoomReadState[]): void {
    this.readStates.clear();
    for (const state of states) this.readStates.set(state.roomId, state);
    this.changed();
  }

  private refreshReadStatesSoon(): void {
    clearTimeout(this.readStatesTimer);
    this.readStatesTimer = setTimeout(() => {
      if (!this.client.socket.connected) return;
      this.client.socket
        .request('read:states', {})
        .then((states) => this.setReadStates(states))
        .catch(() => undefined);
    }, 300);
  }

  private markTimer: ReturnType<typeof setTimeout> | undefined;

  private markActiveRoomReadSoon(): void {
    clearTimeout(this.markTimer);
    this.markTimer = setTimeout(() => this.markActiveRoomRead(), 400);
  }

  /** Moves the read marker to the newest message held, while the room is on screen. */
  markActiveRoomRead(): void {
    const roomId = this.activeRoomId;
    if (!roomId || document.visibilityState !== 'visible' || !this.client.socket.connected) return;
    const held = this.messagesByRoom.get(roomId);
    if (!held || held.size === 0) return;
    let seq = 0;
    for (const message of held.values()) seq = Math.max(seq, message.seq);
    if (seq <= (this.markedSeq.get(roomId) ?? 0)) return;
    if ((this.readStates.get(roomId)?.lastReadSeq ?? 0) >= seq) return;
    this.markedSeq.set(roomId, seq);
    this.client.socket.request('read:mark', { roomId, seq }).catch(() => this.markedSeq.delete(roomId));
  }

  // --- pins

  async loadPins(roomId: string): Promise<void> {
    try {
      this.pins.set(roomId, await this.client.socket.request('pin:list', { roomId }));
      this.changed();
    } catch {
      /* a room just left: nothing to show */
    }
  }

  pinsIn(roomId: string): PinView[] {
    return this.pins.get(roomId) ?? [];
  }

  isPinned(message: MessageView): boolean {
    return this.pinsIn(message.roomId).some((p) => p.message.id === message.id);
  }

  /** The server's rule: room owners, moderators and admins pin any message; members their own; never in archived rooms. */
  mayPin(message: MessageView, unpin = false): boolean {
    const room = this.rooms.get(message.roomId);
    // A message deleted after it was pinned can still be unpinned.
    if (!room || room.archived || (message.deleted && !unpin)) return false;
    return (
      message.authorId === this.me.id ||
      this.me.role === 'admin' ||
      room.myRole === 'owner' ||
      room.myRole === 'moderator'
    );
  }

  async setPinned(message: MessageView, pinned: boolean): Promise<void> {
    try {
      if (pinned) {
        const pin = await this.client.socket.request('pin:add', { messageId: message.id });
        const list = this.pins.get(pin.roomId) ?? [];
        if (!list.some((p) => p.message.id === pin.message.id)) this.pins.set(pin.roomId, [pin, ...list]);
      } else {
        await this.client.socket.request('pin:remove', { messageId: message.id });
        const list = this.pins.get(message.roomId);
        if (list)
          this.pins.set(
            message.roomId,
            list.filter((p) => p.message.id !== message.id),
          );
      }
    } catch (err) {
      this.notify('error', describeError(err));
    }
    this.changed();
  }

  // --- search

  openSearch(): void {
    this.search ??= { q: '', roomId: null, hits: [], nextBefore: null, loading: false, done: false };
    this.changed();
  }

  closeSearch(): void {
    this.search = null;
    this.changed();
  }

  /** Runs a new search (more = false) or loads the next older page of the current one. */
  async runSearch(q: string, roomId: string | null, more = false): Promise<void> {
    const current = this.search;
    if (!current || current.loading) return;
    const before = more ? current.nextBefore : null;
    if (more && !before) return;
    const state: SearchState = more
      ? { ...current, loading: true, error: undefined }
      : { q, roomId, hits: [], nextBefore: null, loading: true, done: false };
    this.search = state;
    this.changed();
    try {
      const page = await this.client.socket.request('search:messages', {
        q: state.q,
        ...(state.roomId ? { roomId: state.roomId } : {}),
        ...(before ? { before } : {}),
      });
      // A newer search (or closing the pane) replaced this one meanwhile: its answer is dropped.
      if (this.search !== state) return;
      this.search = {
        ...state,
        hits: [...state.hits, ...page.hits],
        nextBefore: page.nextBefore,
        loading: false,
        done: true,
      };
    } catch (err) {
      if (this.search !== state) return;
      this.search = { ...state, loading: false, done: true, error: describeError(err) };
    }
    this.changed();
  }

  /**
   * Opens a message's room (or its thread) with the message in view and marked: older history pages are
   * loaded until they reach it (at most JUMP_MAX_PAGES), so the timeline stays contiguous.
   */
  async jumpTo(message: MessageView): Promise<void> {
    await this.openRoom(message.roomId);
    if (this.activeRoomId !== message.roomId) return;
    if (message.threadRootId) {
      await this.openThread(message.threadRootId);
    } else {
      for (let page = 0; page < JUMP_MAX_PAGES && !this.inWindow(message); page += 1) {
        const window = this.windows.get(message.roomId);
        if (!window?.loaded || window.nextBefore === null) break;
        if (window.loading) await new Promise((resolve) => setTimeout(resolve, 100));
        else await this.loadOlder(message.roomId);
      }
      if (!this.inWindow(message))
        this.notify('info', 'That message is further back than the history loaded here.');
    }
    if (this.activeRoomId !== message.roomId) return;
    this.focusMessageId = message.id;
    this.changed();
  }

  private inWindow(message: MessageView): boolean {
    const start = this.windows.get(message.roomId)?.windowStart ?? 0;
    return !!this.message(message.roomId, message.id) && message.seq >= start;
  }

  // --- account

  /** Changes the display name (1–64 characters); the store's `me` follows. */
  async setDisplayName(displayName: string): Promise<void> {
    this.me = await this.client.users.updateMe({ displayName });
    this.changed();
  }

  /**
   * The server ends every session of the account and returns tokens of a new one: this tab adopts them
   * (stored, so its other tabs follow) and reconnects its socket on the new session.
   */
  async changePassword(currentPassword: string, newPassword: string): Promise<void> {
    this.replacingSession = true;
    try {
      const result = await this.client.changePassword(currentPassword, newPassword);
      this.me = result.user;
      this.client.socket.disconnect();
      this.connection = 'connecting';
      this.changed();
      await this.client.socket.connect();
    } finally {
      this.replacingSession = false;
    }
  }

  // --- room settings

  /** Rename, change the topic, archive or unarchive (the room's owner, or an admin). */
  async updateRoom(roomId: string, changes: { name?: string; topic?: string; archived?: boolean }) {
    const room = await this.client.rooms.update(roomId, changes);
    const held = this.rooms.get(roomId);
    this.rooms.set(roomId, { ...room, myRole: held?.myRole ?? room.myRole });
    this.changed();
  }

  mayManage(room: RoomView): boolean {
    return room.kind !== 'direct' && (room.myRole === 'owner' || this.me.role === 'admin');
  }

  // --- members and presence

  async loadMembers(roomId: string): Promise<void> {
    try {
      const members = await this.client.socket.members(roomId);
      this.members.set(roomId, members);
      await this.queryPresence(members.map((m) => m.userId));
      this.changed();
    } catch {
      /* a room just left: nothing to show */
    }
  }

  private async queryPresence(userIds: string[]): Promise<void> {
    for (let i = 0; i < userIds.length; i += 500) {
      const batch = userIds.slice(i, i + 500);
      if (batch.length === 0) break;
      try {
        const statuses = await this.client.socket.request('presence:query', { userIds: batch });
        for (const [userId, status] of Object.entries(statuses)) this.presence.set(userId, status);
      } catch {
        /* presence is decoration: a failure leaves the dots grey */
      }
    }
    this.changed();
  }

  // --- media

  private async loadMediaInfo(mediaId: string): Promise<void> {
    this.media.set(mediaId, { status: 'uploading', committedBytes: 0, declaredSize: 0 });
    try {
      const info = await this.client.http.request<{
        status: MediaState['status'];
        committedBytes: number;
        declaredSize: number;
        contentType: string | null;
        thumbnailUrl: string | null;
        failureReason: string | null;
      }>('GET', `/media/${encodeURIComponent(mediaId)}/info`);
      const held = this.media.get(mediaId);
      // An event that arrived meanwhile is newer than this answer.
      if (held && held.status !== 'uploading') return;
      this.media.set(mediaId, {
        status: info.status,
        committedBytes: Math.max(info.committedBytes, held?.committedBytes ?? 0),
        declaredSize: info.declaredSize,
        contentType: info.contentType ?? undefined,
        thumbnailUrl: info.thumbnailUrl,
        failure: info.failureReason ?? undefined,
      });
    } catch (err) {
      this.media.set(mediaId, {
        status: 'failed',
        committedBytes: 0,
        declaredSize: 0,
        failure: describeError(err),
      });
    }
    this.changed();
  }

  private mediaCompleted(event: MediaCompletedEvent): void {
    this.media.set(event.mediaId, {
      status: 'complete',
      committedBytes: event.length,
      declaredSize: event.length,
      contentType: event.contentType,
      thumbnailUrl: event.thumbnailUrl,
    });
  }

  /** Uploads a file into the room; progress shows until it completes (errors stay until dismissed). */
  upload(roomId: string, file: File): void {
    const id = ++this.uploadId;
    const update = (changes: Partial<LocalUpload>) => {
      this.uploads = this.uploads.map((u) => (u.id === id ? { ...u, ...changes } : u));
      this.changed();
    };
    const handle = startTusUpload(this.client, roomId, file, {
      onProgress: (sent, total) => update({ sent, total }),
      onSuccess: () => this.dropUpload(id),
      onError: (message) => update({ error: message }),
    });
    this.uploads = [
      ...this.uploads,
      { id, roomId, name: file.name, sent: 0, total: file.size, abort: handle.abort },
    ];
    this.changed();
  }

  /** Cancels an upload still running (the server fails it as aborted) or forgets a failed one. */
  cancelUpload(id: number): void {
    const upload = this.uploads.find((u) => u.id === id);
    if (upload && !upload.error) upload.abort();
    this.dropUpload(id);
  }

  private dropUpload(id: number): void {
    this.uploads = this.uploads.filter((u) => u.id !== id);
    this.changed();
  }

  // --- notices

  notify(kind: Notice['kind'], text: string): void {
    const notice = { id: ++this.noticeId, kind, text };
    this.notices = [...this.notices.slice(-4), notice];
    this.changed();
    setTimeout(() => this.dismiss(notice.id), kind === 'error' ? 10_000 : 6_000);
  }

  dismiss(id: number): void {
    this.notices = this.notices.filter((n) => n.id !== id);
    this.changed();
  }
}
