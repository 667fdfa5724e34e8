import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { ThreadHistoryPayload, ThreadPage } from '@palaver/client';
import { AuthUser } from '../auth/auth-user';
import { NotFoundError } from '../common/domain-error';
import { DomainEvents } from '../common/domain-events';
import { MessageView, toMessageView } from '../messages/message.entity';
import { HISTORY_PAGE_DEFAULT, HISTORY_PAGE_MAX } from '../messages/messages.dto';
import '../messages/messages.events';
import { MessagesRepository } from '../messages/messages.repository';
import { RoomAccess } from '../rooms/room-access.service';
import { RoomsRepository } from '../rooms/rooms.repository';

const STAMP_ATTEMPTS = 8;

/**
 * Threads: a reply is a message with `threadRootId` (MessagesService checks the root when sending). When a
 * reply is created or deleted, the root's summary (reply count, last reply) is recomputed from the
 * replies — not incremented, so a repeated or lost event cannot leave it wrong — and stored with a fresh
 * changeSeq, announced as message.updated of the root (live and in catch-up).
 */
@Injectable()
export class ThreadsService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(ThreadsService.name);
  private readonly unsubscribers: Array<() => void> = [];

  constructor(
    private readonly messages: MessagesRepository,
    private readonly rooms: RoomsRepository,
    private readonly access: RoomAccess,
    private readonly events: DomainEvents,
  ) {}

  onModuleInit(): void {
    const refresh = async ({ message, actor }: { message: MessageView; actor: AuthUser }) => {
      if (!message.threadRootId) return;
      try {
        await this.refreshSummary(message.threadRootId, actor);
      } catch (err) {
        this.logger.error(`thread ${message.threadRootId} summary not updated: ${(err as Error).message}`);
      }
    };
    this.unsubscribers.push(
      this.events.on('message.created', refresh),
      this.events.on('message.deleted', refresh),
    );
  }

  onModuleDestroy(): void {
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
  }

  async history(user: AuthUser, input: ThreadHistoryPayload): Promise<ThreadPage> {
    const root = await this.messages.findById(input.rootId);
    if (!root) throw new NotFoundError('message', 'rootId');
    try {
      await this.access.require(user, root.roomId, 'room.read');
    } catch (err) {
      if (err instanceof NotFoundError) throw new NotFoundError('message', 'rootId');
      throw err;
    }
    const limit = Math.min(Math.max(input.limit ?? HISTORY_PAGE_DEFAULT, 1), HISTORY_PAGE_MAX);
    const rows = await this.messages.threadPage(root.id, input.before, limit + 1);
    const page = rows.slice(0, limit);
    return {
      root: toMessageView(root),
      replies: page.map(toMessageView),
      nextBefore: rows.length > limit ? page[page.length - 1].seq : null,
    };
  }

  async refreshSummary(rootId: string, actor: AuthUser): Promise<void> {
    for (let attempt = 0; attempt < STAMP_ATTEMPTS; attempt += 1) {
      const root = await this.messages.findById(rootId);
      if (!root) return;
      // The stamp first, then the count: a summary stamped later has counted every reply announced
      // before its stamp, so the highest stamp (the one that stays) is never stale.
      const changeSeq = await this.rooms.nextSeq(root.roomId);
      if (changeSeq === null) return;
      const { replyCount, lastReply } = await this.messages.threadStats(rootId);
      const thread = {
        replyCount,
        lastReplyId: lastReply?.id ?? null,
        lastReplyAt: lastReply?.createdAt ?? null,
      };
      const same =
        root.thread?.replyCount === thread.replyCount && root.thread?.lastReplyId === thread.lastReplyId;
      if (same || (!root.thread && replyCount === 0)) return;
      const result = await this.messages.applyThreadSummary(rootId, changeSeq, thread);
      if (!result) return;
      if (result.applied) {
        this.events.emit('message.updated', { message: toMessageView(result.message), actor });
        return;
      }
    }
    this.logger.warn(`thread ${rootId} summary kept losing to newer changes; left for the next reply`);
  }
}
