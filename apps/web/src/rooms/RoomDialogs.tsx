import type { RoomView, UserView } from '@palaver/client';
import { FormEvent, ReactNode, useEffect, useRef, useState } from 'react';
import { describeError, errorField } from '../app/errors';
import { useChat } from '../app/store-context';
import { useUserSearch } from '../app/use-user-search';
import { FormError } from '../app/FormError';

export function Dialog({
  title,
  onClose,
  children,
}: {
  title: string;
  onClose(): void;
  children: ReactNode;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
  }, []);
  return (
    <dialog ref={ref} className="dialog" aria-label={title} onClose={onClose} onCancel={onClose}>
      <header>
        <h2>{title}</h2>
        <button type="button" aria-label="Close" onClick={onClose}>
          ×
        </button>
      </header>
      {children}
    </dialog>
  );
}

export function CreateRoomDialog({ onClose }: { onClose(): void }) {
  const chat = useChat();
  const [name, setName] = useState('');
  const [topic, setTopic] = useState('');
  const [kind, setKind] = useState<'public' | 'private'>('public');
  const [error, setError] = useState<{ text: string; field?: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    try {
      const room = await chat.client.socket.createRoom({
        name: name.trim(),
        kind,
        ...(topic.trim() ? { topic: topic.trim() } : {}),
      });
      chat.adoptRoom(room);
      // Closed first: while the modal dialog is open the room behind it is inert (cannot be typed into).
      onClose();
      void chat.openRoom(room.id);
    } catch (err) {
      setError({ text: describeError(err), field: errorField(err) });
      setBusy(false);
    }
  };

  return (
    <Dialog title="New room" onClose={onClose}>
      <form onSubmit={submit} className="dialog-form">
        <label>
          Name
          <input
            name="name"
            value={name}
            onChange={(e) => setName(e.target.value)}
            required
            maxLength={80}
            autoFocus
          />
          {error?.field === 'name' && <span className="field-error">{error.text}</span>}
        </label>
        <label>
          Topic <span className="hint">(optional)</span>
          <input name="topic" value={topic} onChange={(e) => setTopic(e.target.value)} maxLength={500} />
          {error?.field === 'topic' && <span className="field-error">{error.text}</span>}
        </label>
        <fieldset>
          <legend>Who can find it</legend>
          <label className="inline">
            <input type="radio" name="kind" checked={kind === 'public'} onChange={() => setKind('public')} />
            Public — anyone can find and join it
          </label>
          <label className="inline">
            <input
              type="radio"
              name="kind"
              checked={kind === 'private'}
              onChange={() => setKind('private')}
            />
            Private — invitation only
          </label>
        </fieldset>
        {error && !['name', 'topic'].includes(error.field ?? '') && <FormError message={error.text} />}
        <button type="submit" className="primary" disabled={busy}>
          Create room
        </button>
      </form>
    </Dialog>
  );
}

export function RoomDirectoryDialog({ onClose }: { onClose(): void }) {
  const chat = useChat();
  const [query, setQuery] = useState('');
  const [rooms, setRooms] = useState<RoomView[]>([]);
  const [nextAfter, setNextAfter] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let cancelled = false;
    const timer = setTimeout(() => {
      chat.client.rooms.directory({ q: query.trim() || undefined, limit: 50 }).then(
        (page) => {
          if (cancelled) return;
          setRooms(page.rooms);
          setNextAfter(page.nextAfter);
          setError(null);
        },
        (err: unknown) => !cancelled && setError(describeError(err)),
      );
    }, 200);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [chat, query]);

  const more = async () => {
    if (!nextAfter) return;
    try {
      const page = await chat.client.rooms.directory({
        q: query.trim() || undefined,
        after: nextAfter,
        limit: 50,
      });
      setRooms((held) => [...held, ...page.rooms]);
      setNextAfter(page.nextAfter);
    } catch (err) {
      setError(describeError(err));
    }
  };

  const join = async (room: RoomView) => {
    try {
      const joined = chat.rooms.has(room.id) ? room : await chat.client.socket.joinRoom(room.id);
      chat.adoptRoom({ ...joined, myRole: joined.myRole ?? 'member' });
      onClose();
      void chat.openRoom(room.id);
    } catch (err) {
      setError(describeError(err));
    }
  };

  return (
    <Dialog title="Public rooms" onClose={onClose}>
      <input
        type="search"
        aria-label="Search rooms"
        placeholder="Search by name"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        autoFocus
      />
      <FormError message={error} />
      <ul className="pick-list">
        {rooms.map((room) => (
          <li key={room.id}>
            <div>
              <strong># {room.name}</strong>
              <span className="hint">
                {' '}
                {room.memberCount} member{room.memberCount === 1 ? '' : 's'}
              </span>
              {room.topic && <div className="hint">{room.topic}</div>}
            </div>
            <button type="button" onClick={() => void join(room)}>
              {chat.rooms.has(room.id) ? 'Open' : 'Join'}
            </button>
          </li>
        ))}
        {rooms.length === 0 && !error && <li className="hint">No public rooms match.</li>}
      </ul>
      {nextAfter && (
        <button type="button" onClick={() => void more()}>
          More rooms
        </button>
      )}
    </Dialog>
  );
}

export function DirectMessageDialog({ onClose }: { onClose(): void }) {
  const chat = useChat();
  const [query, setQuery] = useState('');
  const search = useUserSearch(query, 30);
  const users = search.users.filter((u) => u.id !== chat.me.id);
  const [actionError, setActionError] = useState<string | null>(null);
  const error = actionError ?? search.error;

  const open = async (user: UserView) => {
    try {
      const room = await chat.client.socket.openDirect(user.id);
      chat.adoptRoom(room);
      onClose();
      void chat.openRoom(room.id);
    } catch (err) {
      setActionError(describeError(err));
    }
  };

  return (
    <Dialog title="Direct message" onClose={onClose}>
      <input
        type="search"
        aria-label="Search people"
        placeholder="Username"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        autoFocus
      />
      <FormError message={error} />
      <ul className="pick-list">
        {users.map((user) => (
          <li key={user.id}>
            <div>
              <strong>{user.username}</strong>
              {user.displayName && user.displayName !== user.username && (
                <span className="hint"> {user.displayName}</span>
              )}
            </div>
            <button type="button" onClick={() => void open(user)}>
              Message
            </button>
          </li>
        ))}
        {users.length === 0 && !error && <li className="hint">Nobody matches.</li>}
      </ul>
    </Dialog>
  );
}
