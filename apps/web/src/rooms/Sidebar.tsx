import type { RoomView } from '@palaver/client';
import { useState } from 'react';
import { useChat } from '../app/store-context';
import { AccountDialog } from '../auth/AccountDialog';
import { CreateRoomDialog, DirectMessageDialog, RoomDirectoryDialog } from './RoomDialogs';
import { PresenceDot } from './PresenceDot';

type Dialog = 'create' | 'directory' | 'direct' | 'account' | null;

export function Sidebar({ onLogout }: { onLogout(): void }) {
  const chat = useChat();
  const [dialog, setDialog] = useState<Dialog>(null);
  const rooms = chat.roomList();
  const channels = rooms.filter((r) => r.kind !== 'direct');
  const directs = rooms.filter((r) => r.kind === 'direct');

  return (
    <nav className="sidebar" aria-label="Rooms">
      <header className="me">
        <PresenceDot status={chat.connection === 'online' ? 'online' : 'offline'} />
        <span className="me-name" title={chat.me.displayName}>
          {chat.me.username}
        </span>
        <button type="button" className="link" onClick={() => setDialog('account')}>
          Account
        </button>
        <button type="button" className="link" onClick={onLogout}>
          Log out
        </button>
      </header>

      <div className="sidebar-search">
        <button type="button" aria-pressed={!!chat.search} onClick={() => chat.openSearch()}>
          Search messages
        </button>
      </div>

      <div className="sidebar-section">
        <h2>Rooms</h2>
        <div className="sidebar-actions">
          <button type="button" onClick={() => setDialog('create')}>
            New room
          </button>
          <button type="button" onClick={() => setDialog('directory')}>
            Browse
          </button>
        </div>
        <ul className="room-list">
          {channels.map((room) => (
            <RoomEntry key={room.id} room={room} />
          ))}
        </ul>
      </div>

      <div className="sidebar-section">
        <h2>Direct messages</h2>
        <div className="sidebar-actions">
          <button type="button" onClick={() => setDialog('direct')}>
            New message
          </button>
        </div>
        <ul className="room-list">
          {directs.map((room) => (
            <RoomEntry key={room.id} room={room} />
          ))}
        </ul>
      </div>

      {dialog === 'create' && <CreateRoomDialog onClose={() => setDialog(null)} />}
      {dialog === 'directory' && <RoomDirectoryDialog onClose={() => setDialog(null)} />}
      {dialog === 'direct' && <DirectMessageDialog onClose={() => setDialog(null)} />}
      {dialog === 'account' && <AccountDialog onClose={() => setDialog(null)} />}
    </nav>
  );
}

function RoomEntry({ room }: { room: RoomView }) {
  const chat = useChat();
  const state = chat.unread(room.id);
  const active = chat.activeRoomId === room.id;
  const peer = chat.directPeer(room);
  const unread = active ? 0 : (state?.unread ?? 0);
  const mentions = active ? 0 : (state?.mentions ?? 0);
  const title = chat.roomTitle(room);
  return (
    <li>
      <button
        type="button"
        className={`room-entry${active ? ' active' : ''}${unread > 0 ? ' unread' : ''}`}
        aria-current={active ? 'page' : undefined}
        data-room-id={room.id}
        data-unread={unread}
        data-mentions={mentions}
        onClick={() => void chat.openRoom(room.id)}
      >
        {peer ? (
          <PresenceDot status={chat.presence.get(peer) ?? 'offline'} />
        ) : (
          <span className="room-kind" aria-hidden>
            {room.kind === 'private' ? '🔒' : '#'}
          </span>
        )}
        <span className="room-name">{title}</span>
        {mentions > 0 && (
          <span className="badge mention" title={`${mentions} mentioning you`}>
            @{mentions}
          </span>
        )}
        {unread > 0 && (
          <span className="badge" title={`${unread} unread`}>
            {unread}
          </span>
        )}
      </button>
    </li>
  );
}
