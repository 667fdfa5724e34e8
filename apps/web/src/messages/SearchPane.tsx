import type { SearchHit } from '@palaver/client';
import { FormEvent, ReactNode, useState } from 'react';
import { useChat } from '../app/store-context';

/** The message text with the server's highlight ranges marked. */
function Highlighted({ hit }: { hit: SearchHit }) {
  const text = hit.message.text;
  const parts: ReactNode[] = [];
  let last = 0;
  for (const [start, end] of [...hit.highlights].sort((a, b) => a[0] - b[0])) {
    if (start < last || end > text.length) continue;
    parts.push(text.slice(last, start), <mark key={start}>{text.slice(start, end)}</mark>);
    last = end;
  }
  parts.push(text.slice(last));
  return <span className="search-text">{parts}</span>;
}

/** Message search over the member's rooms (or the open one); a result opens the room at the message. */
export function SearchPane() {
  const chat = useChat();
  const search = chat.search;
  const [q, setQ] = useState(search?.q ?? '');
  const [thisRoom, setThisRoom] = useState(false);
  if (!search) return null;
  const scopeRoom = thisRoom && chat.activeRoomId ? chat.activeRoomId : null;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (q.trim()) void chat.runSearch(q.trim(), scopeRoom);
  };

  return (
    <aside className="thread-pane search-pane" aria-label="Search messages">
      <header className="thread-header">
        <h2>Search</h2>
        <button type="button" aria-label="Close search" onClick={() => chat.closeSearch()}>
          ×
        </button>
      </header>
      <form className="search-form" onSubmit={submit}>
        <input
          type="search"
          aria-label="Search messages"
          placeholder="Words to find"
          value={q}
          maxLength={200}
          onChange={(e) => setQ(e.target.value)}
          autoFocus
        />
        <button type="submit" disabled={!q.trim() || search.loading}>
          Search
        </button>
        {chat.activeRoomId && (
          <label className="check">
            <input type="checkbox" checked={thisRoom} onChange={(e) => setThisRoom(e.target.checked)} /> Only
            this room
          </label>
        )}
      </form>
      <div className="search-results" role="list" aria-label="Search results">
        {search.error && (
          <div className="field-error" role="alert">
            {search.error}
          </div>
        )}
        {search.done && !search.error && search.hits.length === 0 && (
          <p className="hint">No messages contain all of these words.</p>
        )}
        {search.hits.map((hit) => {
          const room = chat.rooms.get(hit.message.roomId);
          return (
            <div role="listitem" key={hit.message.id}>
              <button
                type="button"
                className="search-hit"
                data-message-id={hit.message.id}
                onClick={() => void chat.jumpTo(hit.message)}
              >
                <span className="hint">
                  {room ? chat.roomTitle(room) : 'a room'} · {hit.message.authorUsername} ·{' '}
                  {new Date(hit.message.createdAt).toLocaleString([], {
                    dateStyle: 'short',
                    timeStyle: 'short',
                  })}
                </span>
                <Highlighted hit={hit} />
              </button>
            </div>
          );
        })}
        {search.loading && <div className="history-status">Searching…</div>}
        {search.nextBefore && !search.loading && (
          <button
            type="button"
            className="link"
            onClick={() => void chat.runSearch(search.q, search.roomId, true)}
          >
            Older results
          </button>
        )}
      </div>
    </aside>
  );
}
