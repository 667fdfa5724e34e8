import { Injectable, Logger, OnModuleDestroy, OnModuleInit, Optional } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { MessageHistoryPage, SendMessageAck } from '@palaver/client';
import { AuthUser } from '../auth/auth-user';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  PayloadTooLargeError,
  UnavailableError,
  ValidationFailedError,
} from '../common/domain-error';
import { DomainEvents } from '../common/domain-events';
import { AppConfig } from '../config/app-config';
import { assertRoomPermission, RoomAccess, RoomAccessGrant } from '../rooms/room-access.service';
import { isDuplicateKey, RoomsRepository } from '../rooms/rooms.repository';
import { MessageAttachment, MessageRecord, MessageView, toMessageView } from './message.entity';
import { HISTORY_PAGE_DEFAULT, HISTORY_PAGE_MAX } from './messages.dto';
import '../rooms/rooms.events';
import './messages.events';
import { MessageGroupCommit } from './message-group-commit';
import { MessagesRepository } from './messages.repository';
import { HookRunner } from '../plugins/hook-runner';
import { toPluginMessage, toPluginUser } from '../plugins/hook-payloads';

/**
 * Fresh stamps a change of a message (edit, delete, reaction) tries when other changes keep landing first;
 * each retry takes a higher counter value.
 */
export const CHANGE_STAMP_ATTEMPTS = 8;

export interface SendMessageInput {
  roomId: string;
  text: string;
  clientMessageId: string;
  /** Set only by the server (postAttachment); clients cannot send it. */
  attachments?: MessageAttachment[];
  /** A reply in this message's thread (threads/). */
  threadRootId?: string;
}

export interface EditMessageInput {
  messageId: string;
  text: string;
}

export interface HistoryInput {
  roomId: string;
  before?: number;
  limit?: number;
}

/**
 * Sending, editing, deleting and paging messages. Every change takes a fresh value of the room counter
 * (RoomsRepository.nextSeq) as its changeSeq; a new message's seq is that same value. Side effects (socket
 * fan-out, plugin after-hooks, metrics) hang off the message.* domain events.
 */
@Injectable()
export class MessagesService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(MessagesService.name);
  private unsubscribe: (() => void) | undefined;
  /** Sends in flight on this node by idempotency key, so a quick retry joins the first attempt. */
  private readonly inFlight = new Map<string, Promise<SendMessageAck>>();
  private readonly groupCommit: MessageGroupCommit;

  constructor(
    private readonly messages: MessagesRepository,
    private readonly rooms: RoomsRepository,
    private readonly access: RoomAccess,
    private readonly events: DomainEvents,
    private readonly config: AppConfig,
    @Optional() private readonly hooks: HookRunner = HookRunner.withoutPlugins(),
  ) {
    this.groupCommit = new MessageGroupCommit({
      takeSeq: (roomId, count) => this.rooms.takeSeq(roomId, count),
      insertMany: (messages) => this.messages.insertMany(messages),
    });
  }

  onModuleInit(): void {
    this.unsubscribe = this.events.on('room.deleted', async ({ roomId }) => {
      try {
        await this.messages.deleteRoom(roomId);
      } catch (err) {
        this.logger.error(`messages of deleted room ${roomId} not removed: ${(err as Error).message}`);
      }
    });
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }

  /**
   * validate → access → [plugin beforeSend hooks] → number + insert (grouped with concurrent sends to
   * the room: MessageGroupCommit) → event → ack.
   * A retry with the same clientMessageId gets the original message's ack (`duplicate: true`) and
   * nothing is broadcast again: the unique index {roomId, authorId, clientMessageId} refuses the insert.
   */
  async send(user: AuthUser, input: SendMessageInput): Promise<SendMessageAck> {
    const text = this.checkText(input.text);
    const key = `${input.roomId}:${user.id}:${input.clientMessageId}`;
    const pending = this.inFlight.get(key);
    if (pending) return pending.then((ack) => ({ ...ack, duplicate: true }));
    const attempt = this.sendOnce(user, { ...input, text }).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, attempt);
    return attempt;
  }

  private async sendOnce(user: AuthUser, input: SendMessageInput): Promise<SendMessageAck> {
    // No lookup of clientMessageId up front: a retry is rare, so it is caught by the unique index on
    // insert instead of costing every send a round trip; the counter value it took stays unused.
    // Access comes from this node's cache (no read) and is confirmed by the counter write below.
    const ticket = await this.access.admit(user, input.roomId, 'room.post');
    const roomId = ticket.roomId;

    // Plugins (moderation) may refuse the message or rewrite its text; a rewrite is checked like input.
    let checked: { text: string };
    try {
      checked = await this.hooks.gate('message.beforeSend', {
        user: toPluginUser(user),
        roomId,
        text: input.text,
      });
    } catch (err) {
      // A retry of a message already stored (say, a flood limit counting the retry) still gets its ack.
      const stored = await this.messages.findByClientMessageId(roomId, user.id, input.clientMessageId);
      if (stored) return toAck(stored, true);
      throw err;
    }
    if (checked.text !== input.text) input = { ...input, text: this.checkText(checked.text) };

    if (input.threadRootId) await this.checkThreadRoot(roomId, input.threadRootId);
    let stored: MessageRecord;
    try {
      // The counter write and the insert, shared with concurrent sends to the room (group commit).
      stored = await this.groupCommit.submit(roomId, {
        message: {
          authorId: user.id,
          authorUsername: user.username,
          text: input.text,
          clientMessageId: input.clientMessageId,
          ...(input.attachments ? { attachments: input.attachments } : {}),
          ...(input.threadRootId ? { threadRootId: input.threadRootId } : {}),
        },
        // If memberships or the archive state changed since the ticket was read (a kick on any node),
        // this re-reads and may refuse; the counter value taken then stays unused, as after a retry.
        confirm: (room) => this.access.confirm(user, ticket, room),
      });
    } catch (err) {
      // A retry of a stored send, or the same send racing on another node: the stored message is the one.
      if (!isDuplicateKey(err)) throw err;
      const winner = await this.messages.findByClientMessageId(roomId, user.id, input.clientMessageId);
      if (!winner) throw err;
      return toAck(winner, true);
    }
    this.events.emit('message.created', { message: toMessageView(stored), actor: user });
    return toAck(stored, false);
  }

  /**
   * A message authored by the system, for plugins' notices (`ctx.messages.sendSystem`): no membership check
   * and no beforeSend hooks (the calling plugin is the policy), but the room must exist and not be archived.
   * Its authorId is `system` (never a user id); authorUsername names the plugin.
   */
  async sendSystem(roomId: string, text: string, source: string): Promise<SendMessageAck> {
    const checkedText = this.checkText(text);
    const room = await this.rooms.findById(roomId);
    if (!room) throw new NotFoundError('room', 'roomId');
    if (room.archivedAt) throw new ConflictError('the room is archived (read-only)', 'roomId');
    const seq = await this.rooms.nextSeq(room.id);
    if (seq === null) throw new NotFoundError('room', 'roomId');
    const stored = await this.messages.insert({
      roomId: room.id,
      seq,
      authorId: SYSTEM_AUTHOR.id,
      authorUsername: source,
      text: checkedText,
      clientMessageId: randomUUID(),
    });
    this.events.emit('message.created', { message: toMessageView(stored), actor: SYSTEM_AUTHOR });
    return toAck(stored, false);
  }

  /**
   * Announces an upload in its room the moment it starts: a message from the uploader whose text is the
   * file name and which carries the attachment. Idempotent per media id.
   */
  async postAttachment(
    user: AuthUser,
    roomId: string,
    attachment: MessageAttachment,
  ): Promise<SendMessageAck> {
    return this.send(user, {
      roomId,
      text: attachment.name,
      clientMessageId: `media-${attachment.mediaId}`,
      attachments: [attachment],
    });
  }

  /** Only the author edits, while still a member of a room that is not archived. */
  async edit(user: AuthUser, input: EditMessageInput): Promise<MessageView> {
    let text = this.checkText(input.text);
    const { message, room, membership } = await this.findVisible(user, input.messageId);
    if (message.authorId !== user.id) throw new ForbiddenError('only the author may edit a message');
    assertRoomPermission(user, room, membership, 'room.post');
    if (message.deletedAt) throw new ConflictError('the message was deleted', 'messageId');
    if (message.text === text) return toMessageView(message);
    const checked = await this.hooks.gate('message.beforeEdit', {
      user: toPluginUser(user),
      message: toPluginMessage(message),
      text,
    });
    if (checked.text !== text) text = this.checkText(checked.text);
    for (let attempt = 0; attempt < CHANGE_STAMP_ATTEMPTS; attempt += 1) {
      const changeSeq = await this.rooms.nextSeq(room.id);
      if (changeSeq === null) throw new NotFoundError('room', 'roomId');
      const result = await this.messages.applyEdit(message.id, changeSeq, text, new Date(), message.editedAt);
      if (!result) throw new NotFoundError('message', 'messageId');
      const view = toMessageView(result.message);
      if (result.applied) {
        this.events.emit('message.updated', { message: view, actor: user });
        return view;
      }
      if (result.message.deletedAt) throw new ConflictError('the message was deleted', 'messageId');
      // Another edit of the author's landed first: it stands. Otherwise a reaction or a thread reply
      // took a later stamp meanwhile; take a fresher one.
      if (result.message.editedAt?.getTime() !== message.editedAt?.getTime()) return view;
    }
    throw new UnavailableError('the message is changing too fast; try again');
  }

  /** The author (still a member) or a room moderator deletes; the message becomes a tombstone. Idempotent. */
  async delete(user: AuthUser, messageId: string): Promise<MessageView> {
    const { message, room, membership } = await this.findVisible(user, messageId);
    assertRoomPermission(
      user,
      room,
      membership,
      message.authorId === user.id ? 'room.post' : 'room.moderate',
    );
    if (message.deletedAt) return toMessageView(message);
    await this.hooks.gate('message.beforeDelete', {
      user: toPluginUser(user),
      message: toPluginMessage(message),
    });
    for (let attempt = 0; attempt < CHANGE_STAMP_ATTEMPTS; attempt += 1) {
      const changeSeq = await this.rooms.nextSeq(room.id);
      if (changeSeq === null) throw new NotFoundError('room', 'roomId');
      const result = await this.messages.applyDelete(message.id, changeSeq, user.id, new Date());
      if (!result) throw new NotFoundError('message', 'messageId');
      const view = toMessageView(result.message);
      if (result.applied) {
        this.events.emit('message.deleted', { message: view, actor: user });
        return view;
      }
      // Deleted meanwhile by someone else: done. Otherwise a later change (a reaction, an edit) landed
      // first; a deletion still wins, with a fresher stamp.
      if (result.message.deletedAt) return view;
    }
    throw new UnavailableError('the message is changing too fast; try again');
  }

  /** Newest first, `before` is a seq cursor; tombstones are included so clients can drop what they hold. */
  async history(user: AuthUser, input: HistoryInput): Promise<MessageHistoryPage> {
    const room = await this.access.require(user, input.roomId, 'room.read');
    const limit = Math.min(Math.max(input.limit ?? HISTORY_PAGE_DEFAULT, 1), HISTORY_PAGE_MAX);
    // One row more than asked says whether an older page exists, so the last page says so itself.
    const rows = await this.messages.page(room.id, input.before, limit + 1);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      messages: page.map(toMessageView),
      nextBefore: rows.length > limit && last ? last.seq : null,
    };
  }

  /** A message the user may see; rooms they cannot see make their messages not found too. */
  private async findVisible(
    user: AuthUser,
    messageId: string,
  ): Promise<RoomAccessGrant & { message: MessageRecord }> {
    const message = await this.messages.findById(messageId);
    if (!message) throw new NotFoundError('message', 'messageId');
    try {
      return { message, ...(await this.access.grant(user, message.roomId, 'room.read')) };
    } catch (err) {
      if (err instanceof NotFoundError) throw new NotFoundError('message', 'messageId');
      throw err;
    }
  }

  /** A thread root is a message of the same room, not deleted, and not itself a reply. */
  private async checkThreadRoot(roomId: string, rootId: string): Promise<void> {
    const root = await this.messages.findById(rootId);
    if (!root || root.roomId !== roomId) throw new NotFoundError('message', 'threadRootId');
    if (root.deletedAt) throw new ConflictError('the thread root was deleted', 'threadRootId');
    if (root.threadRootId) throw new ValidationFailedError('a reply cannot start a thread', 'threadRootId');
  }

  private checkText(text: string): string {
    if (text.trim().length === 0) throw new ValidationFailedError('text must not be blank', 'text');
    if (text.length > this.config.MESSAGE_MAX_LENGTH) {
      throw new PayloadTooLargeError(
        `text must be at most ${this.config.MESSAGE_MAX_LENGTH} characters`,
        'text',
      );
    }
    return text;
  }
}

/** The author of system messages; `system` can never be a user id (those are ObjectIds). */
export const SYSTEM_AUTHOR: AuthUser = {
  id: 'system',
  username: 'system',
  role: 'admin',
  sessionId: 'system',
};

function toAck(message: MessageRecord, duplicate: boolean): SendMessageAck {
  return {
    id: message.id,
    seq: message.seq,
    changeSeq: message.changeSeq,
    createdAt: message.createdAt.toISOString(),
    duplicate,
  };
}
