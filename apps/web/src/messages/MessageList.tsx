import type { MessageView } from '@palaver/client';
import { Fragment, useEffect, useLayoutEffect, useRef } from 'react';
import type { ChatStore, PendingMessage } from '../app/chat-store';
import { useChat } from '../app/store-context';
import { MessageItem } from './MessageItem';

/** Load the next older page when the reader scrolls this close to the top. */
const LOAD_OLDER_PX = 300;
/** Counts as "at the bottom" (new messages keep the view pinned there). */
const BOTTOM_SLACK_PX = 80;
const GROUP_WINDOW_MS = 5 * 60_000;

function continues(previous: MessageView | undefined, message: MessageView): boolean {
  return (
    !!previous &&
    !previous.deleted &&
    previous.authorId === message.authorId &&
    Date.parse(message.createdAt) - Date.parse(previous.createdAt) < GROUP_WINDOW_MS
  );
}

/**
 * A scrolling list of messages: older pages load when the top comes near (the view keeps its place),
 * and the view stays pinned to the bottom while new messages arrive if the reader was there.
 */
export function MessageList({
  messages,
  pending,
  hasOlder,
  loading,
  onLoadOlder,
  unreadAfterSeq,
  inThread,
  label,
}: {
  messages: MessageView[];
  pending: PendingMessage[];
  hasOlder: boolean;
  loading: boolean;
  onLoadOlder?: () => void;
  /** Draw the "new messages" line before the first message after this seq (others' messages only). */
  unreadAfterSeq?: number;
  inThread?: boolean;
  label: string;
}) {
  const chat = useChat();
  const scroller = useRef<HTMLDivElement>(null);
  const content = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const distanceFromBottom = useRef(0);
  const firstId = messages[0]?.id;

  // Keep the reader's place: pinned to the bottom, or the same distance from it when older pages arrive
  // above (the distance from the bottom is what stays constant when content is prepended).
  const previousFirstId = useRef(firstId);
  const shownFocusId = useRef<string | null>(null);
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    if (atBottom.current) el.scrollTop = el.scrollHeight;
    else if (previousFirstId.current !== firstId)
      el.scrollTop = el.scrollHeight - el.clientHeight - distanceFromBottom.current;
    previousFirstId.current = firstId;
    // An opened search result: brought into view once, and the view stops following the bottom.
    const focusId = chat.focusMessageId;
    if (focusId && shownFocusId.current !== focusId) {
      const target = el.querySelector(`[data-message-id="${CSS.escape(focusId)}"]`);
      if (target) {
        shownFocusId.current = focusId;
        atBottom.current = false;
        target.scrollIntoView({ block: 'center' });
      }
    }
  });

  // Images and players change height as they load: stay pinned if the reader was at the bottom.
  useEffect(() => {
    const el = scroller.current;
    const inner = content.current;
    if (!el || !inner) return;
    const observer = new ResizeObserver(() => {
      if (atBottom.current) el.scrollTop = el.scrollHeight;
    });
    observer.observe(inner);
    return () => observer.disconnect();
  }, []);

  // A first page that does not fill the view: fetch more until it scrolls (or history ends).
  useEffect(() => {
    const el = scroller.current;
    if (el && hasOlder && !loading && onLoadOlder && el.scrollHeight <= el.clientHeight + LOAD_OLDER_PX)
      onLoadOlder();
  }, [hasOlder, loading, onLoadOlder, messages]);

  const onScroll = () => {
    const el = scroller.current;
    if (!el) return;
    const distance = el.scrollHeight - el.clientHeight - el.scrollTop;
    distanceFromBottom.current = distance;
    const wasAtBottom = atBottom.current;
    atBottom.current = distance < BOTTOM_SLACK_PX;
    if (atBottom.current && !wasAtBottom) chat.markActiveRoomRead();
    if (el.scrollTop < LOAD_OLDER_PX && hasOlder && !loading && onLoadOlder) onLoadOlder();
  };

  const dividerIndex =
    unreadAfterSeq === undefined
      ? -1
      : messages.findIndex((m, i) => i > 0 && m.seq > unreadAfterSeq && m.authorId !== chat.me.id);
  return (
    <div className="message-scroller" ref={scroller} onScroll={onScroll} role="log" aria-label={label}>
      <div className="message-content" ref={content}>
        {loading && <div className="history-status">Loading…</div>}
        {!hasOlder && !loading && !inThread && (
          <div className="history-status">This is the beginning of the room.</div>
        )}
        {messages.map((message, index) => {
          const divider = index === dividerIndex;
          return (
            <Fragment key={message.id}>
              {divider && (
                <div className="unread-divider" role="separator">
                  <span>New</span>
                </div>
              )}
              <MessageItem
                chat={chat}
                message={message}
                continued={!divider && continues(messages[index - 1], message)}
                inThread={inThread}
                focused={message.id === chat.focusMessageId}
                pinned={chat.isPinned(message)}
              />
            </Fragment>
          );
        })}
        {pending.map((p) => (
          <PendingItem key={p.clientMessageId} chat={chat} pending={p} />
        ))}
      </div>
    </div>
  );
}

function PendingItem({ chat, pending }: { chat: ChatStore; pending: PendingMessage }) {
  return (
    <article
      className={`message pending${pending.error ? ' failed' : ''}`}
      aria-label={`sending: ${pending.text}`}
    >
      <div className="message-body">{pending.text}</div>
      {pending.error ? (
        <div className="field-error" role="alert">
          Not sent: {pending.error}{' '}
          <button type="button" className="link" onClick={() => void chat.retry(pending.clientMessageId)}>
            Retry
          </button>{' '}
          <button type="button" className="link" onClick={() => chat.discard(pending.clientMessageId)}>
            Discard
          </button>
        </div>
      ) : (
        <div className="hint">Sending…</div>
      )}
    </article>
  );
}
