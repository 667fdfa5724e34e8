import type { MessageView } from '@palaver/client';
import { KeyboardEvent, memo, useState } from 'react';
import type { ChatStore } from '../app/chat-store';
import { describeError } from '../app/errors';
import { Attachment } from '../media/Attachment';
import { MessageText } from './MessageText';

export const QUICK_REACTIONS = ['👍', '❤️', '😂', '🎉', '😮', '😢'];

interface Props {
  chat: ChatStore;
  message: MessageView;
  /** Same author as the message above, shortly after: the header is left out. */
  continued: boolean;
  /** Shown in the thread pane (no "reply in thread" there). */
  inThread?: boolean;
  /** An opened search result: marked until another room or result is opened. */
  focused?: boolean;
  /** Pinned in its room (passed in, so the memoised item re-renders when it changes). */
  pinned?: boolean;
}

function time(iso: string): string {
  return new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/** One message: text, attachments, reactions, thread summary, and the author's edit and delete. */
export const MessageItem = memo(function MessageItem({
  chat,
  message,
  continued,
  inThread,
  focused,
  pinned,
}: Props) {
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(message.text);
  const [error, setError] = useState<string | null>(null);
  const [picking, setPicking] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const mine = message.authorId === chat.me.id;
  const mentionsMe =
    !message.deleted &&
    new RegExp(
      `(^|[^A-Za-z0-9_.@-])@(room|${chat.me.username.replace(/[.]/g, '\\.')})(?![A-Za-z0-9_])`,
      'i',
    ).test(message.text);

  const saveEdit = async () => {
    const text = draft.trim();
    if (!text || text === message.text) {
      setEditing(false);
      return;
    }
    try {
      await chat.edit(message.id, text);
      setEditing(false);
      setError(null);
    } catch (err) {
      setError(describeError(err));
    }
  };

  const onEditKey = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      void saveEdit();
    } else if (event.key === 'Escape') {
      setEditing(false);
      setDraft(message.text);
      setError(null);
    }
  };

  const remove = async () => {
    try {
      await chat.remove(message.id);
    } catch (err) {
      chat.notify('error', describeError(err));
    }
    setConfirmDelete(false);
  };

  return (
    <article
      className={`message${continued ? ' continued' : ''}${mentionsMe ? ' mentions-me' : ''}${message.deleted ? ' deleted' : ''}${focused ? ' focused' : ''}`}
      data-message-id={message.id}
      data-seq={message.seq}
      aria-label={`${message.authorUsername}: ${message.deleted ? 'deleted message' : message.text}`}
    >
      {!continued && (
        <header className="message-header">
          <span className="author">{message.authorUsername}</span>

          <time dateTime={message.createdAt} title={new Date(message.createdAt).toLocaleString()}>
            {time(message.createdAt)}
          </time>
        </header>
      )}
      {pinned && !message.deleted && <div className="pinned-mark">📌 Pinned</div>}
      {message.deleted ? (
        <p className="message-body tombstone">This message was deleted.</p>
      ) : editing ? (
        <div className="message-edit">
          <textarea
            aria-label="Edit message"
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            onKeyDown={onEditKey}
            autoFocus
            rows={Math.min(8, draft.split('\n').length + 1)}
          />
          <div className="hint">Enter to save · Escape to cancel</div>
          {error && (
            <div className="field-error" role="alert">
              {error}
            </div>
          )}
        </div>
      ) : (
        <div className="message-body">
          {message.attachments?.length && message.text === message.attachments[0].name ? null : (
            <MessageText text={message.text} me={chat.me.username} />
          )}
          {message.editedAt && <span className="edited"> (edited)</span>}
        </div>
      )}
      {!message.deleted &&
        message.attachments?.map((attachment) => (
          <Attachment key={attachment.mediaId} attachment={attachment} />
        ))}
      {!message.deleted && (message.reactions?.length ?? 0) > 0 && (
        <div className="reactions">
          {message.reactions!.map((reaction) => {
            const reacted = reaction.userIds.includes(chat.me.id);
            return (
              <button
                type="button"
                key={reaction.emoji}
                className={`reaction${reacted ? ' reacted' : ''}`}
                aria-pressed={reacted}
                aria-label={`${reaction.emoji} ${reaction.count}`}
                onClick={() => void chat.toggleReaction(message, reaction.emoji)}
              >
                {reaction.emoji} <span className="count">{reaction.count}</span>
              </button>
            );
          })}
        </div>
      )}
      {!inThread && !message.deleted && (message.thread?.replyCount ?? 0) > 0 && (
        <button
          type="button"
          className="thread-summary link"
          onClick={() => void chat.openThread(message.id)}
        >
          {message.thread!.replyCount} {message.thread!.replyCount === 1 ? 'reply' : 'replies'}
        </button>
      )}
      {!message.deleted && !editing && (
        <div className="message-actions" role="toolbar" aria-label="Message actions">
          <button type="button" aria-label="Add reaction" onClick={() => setPicking((p) => !p)}>
            ☺
          </button>
          {!inThread && !message.threadRootId && (
            <button
              type="button"
              aria-label="Reply in thread"
              onClick={() => void chat.openThread(message.id)}
            >
              ↳
            </button>
          )}
          {chat.mayPin(message) && (
            <button
              type="button"
              aria-label={pinned ? 'Unpin' : 'Pin'}
              aria-pressed={!!pinned}
              onClick={() => void chat.setPinned(message, !pinned)}
            >
              📌
            </button>
          )}
          {mine && (
            <button
              type="button"
              aria-label="Edit"
              onClick={() => {
                setDraft(message.text);
                setEditing(true);
              }}
            >
              ✎
            </button>
          )}
          {mine &&
            (confirmDelete ? (
              <button type="button" className="danger" onClick={() => void remove()}>
                Delete?
              </button>
            ) : (
              <button type="button" aria-label="Delete" onClick={() => setConfirmDelete(true)}>
                🗑
              </button>
            ))}
          {picking && (
            <div className="reaction-picker" role="menu">
              {QUICK_REACTIONS.map((emoji) => (
                <button
                  type="button"
                  role="menuitem"
                  key={emoji}
                  aria-label={`React ${emoji}`}
                  onClick={() => {
                    setPicking(false);
                    void chat.toggleReaction(message, emoji);
                  }}
                >
                  {emoji}
                </button>
              ))}
            </div>
          )}
        </div>
      )}
    </article>
  );
});
