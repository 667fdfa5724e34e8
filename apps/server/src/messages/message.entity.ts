import type { MessageView } from '@palaver/client';

export type { MessageView };

/** A stored message as a plain object (what MessagesRepository returns). */
export interface MessageRecord {
  id: string;
  roomId: string;
  seq: number;
  changeSeq: number;
  authorId: string;
  authorUsername: string;
  /** Empty once deleted (a tombstone keeps its place in the room's sequence). */
  text: string;
  clientMessageId: string;
  createdAt: Date;
  editedAt: Date | null;
  deletedAt: Date | null;
  deletedBy: string | null;
  attachments?: MessageAttachment[];
  /** emoji -> user ids, in reaction order; empty lists may remain after removals. */
  reactions?: Record<string, string[]>;
  /** Lower-cased usernames and '@room' the text mentions. */
  mentions?: string[];
  threadRootId?: string;
  thread?: { replyCount: number; lastReplyId: string | null; lastReplyAt: Date | null };
}

/** A media file posted with a message (the upload's declared facts). */
export interface MessageAttachment {
  mediaId: string;
  name: string;
  declaredType: string;
  declaredSize: number;
}

export function toMessageView(message: MessageRecord): MessageView {
  return {
    id: message.id,
    roomId: message.roomId,
    seq: message.seq,
    changeSeq: message.changeSeq,
    authorId: message.authorId,
    authorUsername: message.authorUsername,
    text: message.text,
    clientMessageId: message.clientMessageId,
    createdAt: message.createdAt.toISOString(),
    editedAt: message.editedAt?.toISOString() ?? null,
    deleted: message.deletedAt !== null,
    deletedAt: message.deletedAt?.toISOString() ?? null,
    ...(message.attachments?.length && !message.deletedAt
      ? { attachments: message.attachments.map((a) => ({ ...a, url: `/api/media/${a.mediaId}` })) }
      : {}),
    ...reactionViews(message),
    ...(message.threadRootId ? { threadRootId: message.threadRootId } : {}),
    ...(message.thread && message.thread.replyCount > 0
      ? {
          thread: {
            replyCount: message.thread.replyCount,
            lastReplyId: message.thread.lastReplyId,
            lastReplyAt: message.thread.lastReplyAt?.toISOString() ?? null,
          },
        }
      : {}),
  };
}

/** Reactions as the protocol shows them (emoji in first-reaction order); none on tombstones. */
function reactionViews(message: MessageRecord): Pick<MessageView, 'reactions'> {
  if (!message.reactions || message.deletedAt) return {};
  const reactions = Object.entries(message.reactions)
    .filter(([, userIds]) => userIds.length > 0)
    .map(([emoji, userIds]) => ({ emoji, count: userIds.length, userIds }));
  return reactions.length > 0 ? { reactions } : {};
}
