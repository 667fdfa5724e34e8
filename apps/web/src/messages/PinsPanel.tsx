import { useChat } from '../app/store-context';

function when(iso: string): string {
  return new Date(iso).toLocaleString([], { dateStyle: 'short', timeStyle: 'short' });
}

/** The room's pinned messages, newest pin first; a click shows the message in the room. */
export function PinsPanel({ roomId }: { roomId: string }) {
  const chat = useChat();
  const pins = chat.pinsIn(roomId);
  return (
    <aside className="members pins" aria-label="Pinned messages">
      <h2>Pinned</h2>
      {pins.length === 0 ? (
        <p className="hint">No pinned messages. Pin one from its 📌 action.</p>
      ) : (
        <ul>
          {pins.map((pin) => {
            // The copy held in the room is newer than the pin's snapshot after an edit.
            const message = chat.message(roomId, pin.message.id) ?? pin.message;
            return (
              <li key={message.id} className="pin" data-message-id={message.id}>
                <button type="button" className="pin-open" onClick={() => void chat.jumpTo(message)}>
                  <span className="author">{message.authorUsername}</span>{' '}
                  <span className="pin-text">
                    {message.deleted ? 'This message was deleted.' : message.text}
                  </span>
                </button>
                <span className="hint">pinned {when(pin.pinnedAt)}</span>
                {chat.mayPin(message, true) && (
                  <button
                    type="button"
                    className="link"
                    aria-label={`Unpin ${message.text}`}
                    onClick={() => void chat.setPinned(message, false)}
                  >
                    Unpin
                  </button>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </aside>
  );
}
