import { useCallback, useState } from 'react';
import { describeError } from '../app/errors';
import { useChat } from '../app/store-context';
import { MembersPanel } from '../rooms/MembersPanel';
import { PresenceDot } from '../rooms/PresenceDot';
import { RoomSettingsDialog } from '../rooms/RoomSettingsDialog';
import { Composer } from './Composer';
import { MessageList } from './MessageList';
import { PinsPanel } from './PinsPanel';

export function typingText(names: string[]): string {
  if (names.length === 0) return '';
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  return 'Several people are typing…';
}

/** The open room: header, history with live updates, who is typing, and the composer. */
export function RoomPane({ roomId }: { roomId: string }) {
  const chat = useChat();
  const [side, setSide] = useState<'members' | 'pins' | null>(null);
  const [confirmLeave, setConfirmLeave] = useState(false);
  const [settings, setSettings] = useState(false);
  const loadOlder = useCallback(() => void chat.loadOlder(roomId), [chat, roomId]);
  const room = chat.rooms.get(roomId);
  if (!room) return <section className="room-pane empty-pane">Loading room…</section>;

  const title = chat.roomTitle(room);
  const peer = chat.directPeer(room);
  const messages = chat.messages(roomId).filter((m) => !m.threadRootId);
  const typing = chat.typingIn(roomId);

  const leave = async () => {
    try {
      await chat.client.socket.leaveRoom(roomId);
      chat.closeRoom();
    } catch (err) {
      chat.notify('error', describeError(err));
    }
    setConfirmLeave(false);
  };

  return (
    <section className="room-pane" aria-label={`Room ${title}`}>
      <header className="room-header">
        <h1>
          {peer ? (
            <PresenceDot status={chat.presence.get(peer) ?? 'offline'} />
          ) : room.kind === 'private' ? (
            '🔒 '
          ) : (
            '# '
          )}
          {title}
        </h1>
        {room.topic && <p className="topic">{room.topic}</p>}
        <div className="room-header-actions">
          <button
            type="button"
            aria-pressed={side === 'members'}
            onClick={() => setSide((s) => (s === 'members' ? null : 'members'))}
          >
            {room.memberCount} member{room.memberCount === 1 ? '' : 's'}
          </button>
          <button
            type="button"
            aria-pressed={side === 'pins'}
            onClick={() => setSide((s) => (s === 'pins' ? null : 'pins'))}
          >
            📌 {chat.pinsIn(roomId).length} pinned
          </button>
          {chat.mayManage(room) && (
            <button type="button" onClick={() => setSettings(true)}>
              Settings
            </button>
          )}
          {room.kind !== 'direct' &&
            (confirmLeave ? (
              <button type="button" className="danger" onClick={() => void leave()}>
                Leave {title}?
              </button>
            ) : (
              <button type="button" onClick={() => setConfirmLeave(true)}>
                Leave
              </button>
            ))}
        </div>
      </header>
      <div className="room-main">
        <div className="room-timeline">
          <MessageList
            label={`Messages in ${title}`}
            messages={messages}
            pending={chat.pendingIn(roomId)}
            hasOlder={chat.hasOlder(roomId)}
            loading={chat.isLoading(roomId)}
            onLoadOlder={loadOlder}
            unreadAfterSeq={chat.openedAtReadSeq}
          />
          <div className="typing" aria-live="polite">
            {typingText(typing)}
          </div>
          <Composer
            roomId={roomId}
            placeholder={`Message ${peer ? title : `#${title}`}`}
            disabledReason={room.archived ? 'This room is archived: it is read-only.' : undefined}
          />
        </div>
        {side === 'members' && <MembersPanel roomId={roomId} />}
        {side === 'pins' && <PinsPanel roomId={roomId} />}
      </div>
      {settings && <RoomSettingsDialog room={room} onClose={() => setSettings(false)} />}
    </section>
  );
}
