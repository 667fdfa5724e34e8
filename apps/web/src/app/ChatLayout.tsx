import { RoomPane } from '../messages/RoomPane';
import { SearchPane } from '../messages/SearchPane';
import { ThreadPane } from '../messages/ThreadPane';
import { Sidebar } from '../rooms/Sidebar';
import type { ConnectionState } from './chat-store';
import { useChat } from './store-context';

const BANNER: Record<Exclude<ConnectionState, 'online'>, string> = {
  connecting: 'Connecting…',
  reconnecting: 'Connection lost — reconnecting…',
  offline: 'You are offline. Messages will catch up when the network is back.',
  ended: 'Your session has ended.',
};

export function ChatLayout({ onLogout }: { onLogout(): void }) {
  const chat = useChat();
  return (
    <div className="chat">
      {chat.connection !== 'online' && (
        <div className={`banner banner-${chat.connection}`} role="status" data-connection={chat.connection}>
          {BANNER[chat.connection]}
        </div>
      )}
      <div className="chat-body">
        <Sidebar onLogout={onLogout} />
        {chat.activeRoomId ? (
          <RoomPane key={chat.activeRoomId} roomId={chat.activeRoomId} />
        ) : (
          <section className="empty-pane">
            <p>Pick a room on the left, browse public rooms, or start a direct message.</p>
          </section>
        )}
        {chat.activeRoomId && chat.threadRootId && (
          <ThreadPane key={chat.threadRootId} roomId={chat.activeRoomId} rootId={chat.threadRootId} />
        )}
        {chat.search && <SearchPane />}
      </div>
      <div className="notices" aria-live="polite">
        {chat.notices.map((notice) => (
          <div
            key={notice.id}
            className={`notice notice-${notice.kind}`}
            role={notice.kind === 'error' ? 'alert' : 'status'}
          >
            <span>{notice.text}</span>
            <button type="button" aria-label="Dismiss" onClick={() => chat.dismiss(notice.id)}>
              ×
            </button>
          </div>
        ))}
      </div>
    </div>
  );
}
