/**
 * The Socket.IO protocol between Palaver clients and servers: event names, payloads and acks.
 * The server's Broadcaster and gateways and this package's socket client are both typed by these maps,
 * so a change here is a change to docs/realtime.md too. Features add their events by extending the maps.
 *
 * Naming: client → server events are `noun:verb` and always take an ack callback; server → client
 * events are `noun.pastTense` (what happened) and never expect an ack.
 */

/** Every failed ack (and every HTTP error body) has this shape. */
export interface ErrorAck {
  error: {
    code: string;
    message: string;
    /** Dotted path of the offending input field (`text`, `roomId`), when one is to blame. */
    field?: string;
    /** Present on `rate_limited`. */
    retryAfterMs?: number;
  };
}

/** An ack is either the result or an ErrorAck. */
export type Ack<T> = T | ErrorAck;

export function isErrorAck(value: unknown): value is ErrorAck {
  return (
    typeof value === 'object' &&
    value !== null &&
    'error' in value &&
    typeof (value as { error: unknown }).error === 'object' &&
    (value as { error: unknown }).error !== null
  );
}

// ---------------------------------------------------------------------------------------------------
// Rooms

export type RoomKind = 'public' | 'private' | 'direct';
export type RoomRole = 'owner' | 'moderator' | 'member';

export interface RoomView {
  id: string;
  kind: RoomKind;
  name: string;
  topic: string;
  /** Archived rooms are read-only. */
  archived: boolean;
  /** For direct rooms: the two participants' user ids (sorted). Empty otherwise. */
  directUserIds: string[];
  memberCount: number;
  /** The room counter: the newest seq/changeSeq handed out in this room. */
  lastSeq: number;
  /** The caller's role in the room; null when the caller is not a member (public directory). */
  myRole: RoomRole | null;
  createdAt: string;
}

export interface RoomMemberView {
  userId: string;
  username: string;
  role: RoomRole;
  joinedAt: string;
}

export interface RoomDirectoryPage {
  rooms: RoomView[];
  /** Pass as `after` to get the next page; null on the last page. */
  nextAfter: string | null;
}

export interface RoomIdPayload {
  roomId: string;
}

export interface CreateRoomPayload {
  name: string;
  kind: 'public' | 'private';
  topic?: string;
}

export interface OpenDirectPayload {
  userId: string;
}

export interface RoomMemberPayload {
  roomId: string;
  userId: string;
}

export interface RoomUpdatePayload {
  roomId: string;
  name?: string;
  topic?: string;
  archived?: boolean;
}

export interface RoomMemberEvent {
  roomId: string;
  userId: string;
  username: string;
  role: RoomRole;
}

export interface RoomMemberLeftEvent {
  roomId: string;
  userId: string;
  reason: 'left' | 'kicked';
  /** Who kicked (absent when the member left on their own). */
  by?: string;
}

export interface RoomRemovedEvent {
  roomId: string;
  reason: 'left' | 'kicked' | 'deleted';
}

// ---------------------------------------------------------------------------------------------------
// Messages

export interface MessageView {
  id: string;
  roomId: string;
  /** Position in the room: strictly increasing, unique per room, never changes. */
  seq: number;
  /** Room-counter value of the latest change (create, edit, delete); grows on every change. */
  changeSeq: number;
  authorId: string;
  authorUsername: string;
  /** Empty for deleted messages (tombstones). */
  text: string;
  clientMessageId: string;
  createdAt: string;
  editedAt: string | null;
  deleted: boolean;
  deletedAt: string | null;
  /** Files posted with the message (an upload announces itself this way; see docs/media.md). */
  attachments?: MessageAttachmentView[];
  /** Reactions, emoji in first-reaction order; absent when there are none (and on tombstones). */
  reactions?: ReactionView[];
  /** Set on thread replies: the root message's id. */
  threadRootId?: string;
  /** Set on thread roots with replies. */
  thread?: ThreadSummary;
}

export interface ThreadSummary {
  /** Replies not deleted. */
  replyCount: number;
  lastReplyId: string | null;
  lastReplyAt: string | null;
}

export interface ThreadHistoryPayload {
  rootId: string;
  /** Only replies with seq < before. */
  before?: number;
  /** 1–100, default 50. */
  limit?: number;
}

export interface ThreadPage {
  root: MessageView;
  /** Newest first, tombstones included. */
  replies: MessageView[];
  nextBefore: number | null;
}

export interface ReactionView {
  emoji: string;
  count: number;
  /** Who reacted, in the order they did. */
  userIds: string[];
}

/** A media file attached to a message, as declared when its upload started. */
export interface MessageAttachmentView {
  mediaId: string;
  name: string;
  /** Declared by the uploader; the served type is sniffed (GET /api/media/:id/info has it). */
  declaredType: string;
  declaredSize: number;
  /** GET this (member auth) for the bytes, even while the upload is still arriving. */
  url: string;
}

/** Upload progress of an attachment, to the room (throttled). */
export interface MediaProgressEvent {
  mediaId: string;
  roomId: string;
  committedBytes: number;
  declaredSize: number;
}

export interface MediaCompletedEvent {
  mediaId: string;
  roomId: string;
  length: number;
  sha256: string;
  /** Sniffed from the bytes. */
  contentType: string;
  width?: number;
  height?: number;
  thumbnailUrl: string | null;
}

export interface MediaFailedEvent {
  mediaId: string;
  roomId: string;
  /** aborted (by the uploader), rejected (by a policy), abandoned (no bytes in time), error */
  reason: string;
  message: string;
}

export interface SendMessagePayload {
  roomId: string;
  text: string;
  /** Client-chosen id (1–64 chars of [A-Za-z0-9_-]); a retried send with the same id returns the original ack. */
  clientMessageId: string;
  /** Reply in this message's thread (same room; a reply cannot itself be a thread root). */
  threadRootId?: string;
}

export interface SendMessageAck {
  id: string;
  seq: number;
  changeSeq: number;
  createdAt: string;
  /** True when this clientMessageId was already stored (a retry); nothing new was sent. */
  duplicate: boolean;
}

export interface EditMessagePayload {
  messageId: string;
  text: string;
}

export interface DeleteMessagePayload {
  messageId: string;
}

export interface HistoryPayload {
  roomId: string;
  /** Only messages with seq < before (the cursor); absent: the newest. */
  before?: number;
  /** 1–100, default 50. */
  limit?: number;
}

export interface MessageHistoryPage {
  /** Newest first. Tombstones included. */
  messages: MessageView[];
  /** Pass as `before` for the next (older) page; null when there is nothing older. */
  nextBefore: number | null;
}

// ---------------------------------------------------------------------------------------------------
// Reactions, mentions, read state (see docs/realtime.md, "Conversations")

export interface ReactionPayload {
  messageId: string;
  /** 1–32 characters, no whitespace, '.' or '$' (an emoji, or a short name like `+1`). */
  emoji: string;
}

/** To the mentioned user's channel (every device), whether or not they are looking at the room. */
export interface NotificationEvent {
  kind: 'mention';
  roomId: string;
  messageId: string;
  seq: number;
  authorId: string;
  authorUsername: string;
  /** The start of the text (at most 200 characters). */
  excerpt: string;
  /** True when the message mentioned `@room` rather than (only) the user. */
  roomWide: boolean;
}

export interface ReadMarkPayload {
  roomId: string;
  /** The seq of the newest message read; the marker never moves back. */
  seq: number;
}

export interface ReadMarkerView {
  roomId: string;
  /** Messages with seq ≤ this are read. */
  lastReadSeq: number;
}

/** Per room: the marker, and what is after it (others' messages, not deleted). */
export interface RoomReadState extends ReadMarkerView {
  unread: number;
  /** Unread messages mentioning the caller or `@room`. */
  mentions: number;
}

// ---------------------------------------------------------------------------------------------------
// Presence and typing

export type PresenceStatus = 'online' | 'away' | 'offline';

export interface PresenceSetPayload {
  /** What this device is: `away` when its user is idle. The user is online if any device is. */
  status: 'online' | 'away';
}

export interface PresenceQueryPayload {
  /** 1–500 user ids. */
  userIds: string[];
}

/** A user's combined status changed; to everyone sharing a room with them and their own devices. */
export interface PresenceEvent {
  userId: string;
  status: PresenceStatus;
}

export interface TypingEvent {
  roomId: string;
  userId: string;
  username: string;
  typing: boolean;
  /** For `typing: true`: forget it after this long unless repeated (the server forgets it too). */
  ttlMs: number;
}

// ---------------------------------------------------------------------------------------------------
// Search

export interface SearchPayload {
  /** Words to find (all of them, whole words, case and accent insensitive); 1–8 words, ≤ 200 chars. */
  q: string;
  /** Only this room (one the caller may read); absent: every room the caller is a member of. */
  roomId?: string;
  /** The previous page's `nextBefore`. */
  before?: string;
  /** 1–50, default 20. */
  limit?: number;
}

export interface SearchHit {
  message: MessageView;
  /** [start, end) character ranges of the matching words in `message.text`. */
  highlights: Array<[number, number]>;
}

export interface SearchPage {
  /** Newest first. */
  hits: SearchHit[];
  nextBefore: string | null;
}

// ---------------------------------------------------------------------------------------------------
// Pins

export interface PinView {
  roomId: string;
  pinnedBy: string;
  pinnedAt: string;
  message: MessageView;
}

export interface PinRemovedEvent {
  roomId: string;
  messageId: string;
}

// ---------------------------------------------------------------------------------------------------
// Catch-up (see docs/realtime.md, "Catch-up")

/** What a (re)connecting client holds: per room, the highest changeSeq it has applied (0: nothing). */
export interface SyncPayload {
  rooms: Record<string, number>;
  /** Changes per page, 1–500 (default 200). */
  limit?: number;
}

/** A client's Merkle summary of its cached window of one room (see merkle.ts). */
export interface MerkleReconcilePayload {
  roomId: string;
  fromBucket: number;
  /** 1–128 bucket hashes, from fromBucket on. */
  buckets: string[];
  root: string;
}

/** The server's contents of one bucket whose hash differed from the client's. */
export interface MerkleBucketContents {
  index: number;
  /** The bucket's seq range, inclusive. */
  fromSeq: number;
  toSeq: number;
  hash: string;
  /** Every message in the range, in seq order: replace what the client holds there with these. */
  messages: MessageView[];
}

export interface MerkleReconcileResult {
  /** The server's root over the same buckets (equal to the client's: nothing to repair). */
  root: string;
  /** The differing buckets, at most 16 per answer. */
  repaired: MerkleBucketContents[];
  /** More buckets differ: apply these and ask again. */
  more: boolean;
}

/** One page of what changed since the given cursors, in changeSeq order within each room. */
export interface SyncPage {
  /** Creates, edits, deletions (tombstones) and reaction changes: each message once, at its latest state. */
  changes: MessageView[];
  /** Rooms with more to replay: send `sync` again with these cursors. Empty when the replay is complete. */
  pending: Record<string, number>;
  /** Rooms asked for that the caller may no longer read (left, kicked, deleted); drop them. */
  denied: string[];
}

// ---------------------------------------------------------------------------------------------------
// Session

export interface SessionEndedEvent {
  /** logout, password_changed, banned, refresh_reuse, deleted */
  reason: string;
}

export interface OkAck {
  ok: true;
}

// ---------------------------------------------------------------------------------------------------
// The maps

/** client → server: `event: (payload, ack) => void`. */
export interface ClientToServerEvents {
  'room:list': (payload: Record<string, never>, ack: (res: Ack<RoomView[]>) => void) => void;
  'room:create': (payload: CreateRoomPayload, ack: (res: Ack<RoomView>) => void) => void;
  'room:join': (payload: RoomIdPayload, ack: (res: Ack<RoomView>) => void) => void;
  'room:leave': (payload: RoomIdPayload, ack: (res: Ack<OkAck>) => void) => void;
  'room:openDirect': (payload: OpenDirectPayload, ack: (res: Ack<RoomView>) => void) => void;
  'room:members': (payload: RoomIdPayload, ack: (res: Ack<RoomMemberView[]>) => void) => void;
  'message:send': (payload: SendMessagePayload, ack: (res: Ack<SendMessageAck>) => void) => void;
  'message:edit': (payload: EditMessagePayload, ack: (res: Ack<MessageView>) => void) => void;
  'message:delete': (payload: DeleteMessagePayload, ack: (res: Ack<MessageView>) => void) => void;
  'message:history': (payload: HistoryPayload, ack: (res: Ack<MessageHistoryPage>) => void) => void;
  sync: (payload: SyncPayload, ack: (res: Ack<SyncPage>) => void) => void;
  'pin:add': (payload: { messageId: string }, ack: (res: Ack<PinView>) => void) => void;
  'pin:remove': (payload: { messageId: string }, ack: (res: Ack<OkAck>) => void) => void;
  /** Newest pin first, at most 50. */
  'pin:list': (payload: RoomIdPayload, ack: (res: Ack<PinView[]>) => void) => void;
  'thread:history': (payload: ThreadHistoryPayload, ack: (res: Ack<ThreadPage>) => void) => void;
  'sync:merkle': (payload: MerkleReconcilePayload, ack: (res: Ack<MerkleReconcileResult>) => void) => void;
  'search:messages': (payload: SearchPayload, ack: (res: Ack<SearchPage>) => void) => void;
  'presence:set': (payload: PresenceSetPayload, ack: (res: Ack<PresenceEvent>) => void) => void;
  'presence:query': (
    payload: PresenceQueryPayload,
    ack: (res: Ack<Record<string, PresenceStatus>>) => void,
  ) => void;
  'typing:start': (payload: RoomIdPayload, ack: (res: Ack<OkAck>) => void) => void;
  'typing:stop': (payload: RoomIdPayload, ack: (res: Ack<OkAck>) => void) => void;
  /** Who is typing in the room now (expired entries excluded). */
  'typing:list': (payload: RoomIdPayload, ack: (res: Ack<string[]>) => void) => void;
  'reaction:add': (payload: ReactionPayload, ack: (res: Ack<MessageView>) => void) => void;
  'reaction:remove': (payload: ReactionPayload, ack: (res: Ack<MessageView>) => void) => void;
  'read:mark': (payload: ReadMarkPayload, ack: (res: Ack<ReadMarkerView>) => void) => void;
  /** Read state of every room the caller is a member of. */
  'read:states': (payload: Record<string, never>, ack: (res: Ack<RoomReadState[]>) => void) => void;
}

/** server → client. */
export interface ServerToClientEvents {
  'message.created': (message: MessageView) => void;
  'message.updated': (message: MessageView) => void;
  'message.deleted': (message: MessageView) => void;
  /** The caller became a member of a room (created, joined, invited, direct opened) — on every device. */
  'room.added': (room: RoomView) => void;
  /** The caller is no longer a member (left, kicked, room deleted) — on every device. */
  'room.removed': (event: RoomRemovedEvent) => void;
  /** Name, topic or archived changed (myRole is null here: the room-wide view). */
  'room.updated': (room: RoomView) => void;
  'room.member.joined': (event: RoomMemberEvent) => void;
  'room.member.left': (event: RoomMemberLeftEvent) => void;
  /** Sent just before the server disconnects a socket whose session ended; do not reconnect with it. */
  'session.ended': (event: SessionEndedEvent) => void;
  'media.progress': (event: MediaProgressEvent) => void;
  'media.completed': (event: MediaCompletedEvent) => void;
  'media.failed': (event: MediaFailedEvent) => void;
  /** The caller was mentioned (user channel). */
  notification: (event: NotificationEvent) => void;
  /** The caller's read marker moved (user channel: every device of the member). */
  'read.updated': (marker: ReadMarkerView) => void;
  'presence.updated': (event: PresenceEvent) => void;
  'pin.added': (pin: PinView) => void;
  'pin.removed': (event: PinRemovedEvent) => void;
  'typing.updated': (event: TypingEvent) => void;
}

export type ClientEventName = keyof ClientToServerEvents;
export type ServerEventName = keyof ServerToClientEvents;

/** The payload type of a client → server event. */
export type ClientPayload<E extends ClientEventName> = Parameters<ClientToServerEvents[E]>[0];
/** The successful ack type of a client → server event. */
export type ClientAckResult<E extends ClientEventName> = Exclude<
  Parameters<Parameters<ClientToServerEvents[E]>[1]>[0],
  ErrorAck
>;
/** The payload of a server → client event. */
export type ServerPayload<E extends ServerEventName> = Parameters<ServerToClientEvents[E]>[0];
