import { useChat } from '../app/store-context';
import { Composer } from './Composer';
import { MessageItem } from './MessageItem';
import { MessageList } from './MessageList';

/** A thread: its root message, the replies (live as they come) and a composer for replies. */
export function ThreadPane({ roomId, rootId }: { roomId: string; rootId: string }) {
  const chat = useChat();
  const root = chat.message(roomId, rootId);
  const room = chat.rooms.get(roomId);
  const replies = chat.threadReplies(roomId, rootId);
  const count = replies.filter((r) => !r.deleted).length;

  return (
    <aside className="thread-pane" aria-label="Thread">
      <header className="thread-header">
        <h2>Thread</h2>
        <button type="button" aria-label="Close thread" onClick={() => chat.closeThread()}>
          ×
        </button>
      </header>
      {root && (
        <div className="thread-root">
          <MessageItem
            chat={chat}
            message={root}
            continued={false}
            inThread
            focused={root.id === chat.focusMessageId}
            pinned={chat.isPinned(root)}
          />
          <div className="hint">
            {count} {count === 1 ? 'reply' : 'replies'}
          </div>
        </div>
      )}
      <MessageList
        label="Thread replies"
        messages={replies}
        pending={chat.pendingIn(roomId, rootId)}
        hasOlder={false}
        loading={false}
        inThread
      />
      <Composer
        roomId={roomId}
        threadRootId={rootId}
        placeholder="Reply in thread"
        disabledReason={room?.archived ? 'This room is archived: it is read-only.' : undefined}
      />
    </aside>
  );
}
