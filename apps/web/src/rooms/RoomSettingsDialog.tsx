import type { RoomView } from '@palaver/client';
import { FormEvent, useState } from 'react';
import { describeError } from '../app/errors';
import { useChat } from '../app/store-context';
import { Dialog } from './RoomDialogs';
import { FormError } from '../app/FormError';

/** Rename, topic and archive for the room's owner (and admins): the server's `room.manage` rule. */
export function RoomSettingsDialog({ room, onClose }: { room: RoomView; onClose(): void }) {
  const chat = useChat();
  const [name, setName] = useState(room.name);
  const [topic, setTopic] = useState(room.topic ?? '');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const apply = async (changes: { name?: string; topic?: string; archived?: boolean }) => {
    setBusy(true);
    setError(null);
    try {
      await chat.updateRoom(room.id, changes);
      onClose();
    } catch (err) {
      setError(describeError(err));
      setBusy(false);
    }
  };

  const save = (event: FormEvent) => {
    event.preventDefault();
    const changes: { name?: string; topic?: string } = {};
    if (name.trim() !== room.name) changes.name = name.trim();
    if (topic.trim() !== (room.topic ?? '')) changes.topic = topic.trim();
    if (Object.keys(changes).length === 0) onClose();
    else void apply(changes);
  };

  return (
    <Dialog title="Room settings" onClose={onClose}>
      <form onSubmit={save} className="dialog-form">
        <label>
          Name
          <input
            value={name}
            onChange={(e) => setName(e.target.value)}
            required
            maxLength={80}
            disabled={room.archived}
          />
        </label>
        <label>
          Topic
          <input
            value={topic}
            onChange={(e) => setTopic(e.target.value)}
            maxLength={500}
            disabled={room.archived}
          />
        </label>
        <FormError message={error} />
        {!room.archived && (
          <button type="submit" className="primary" disabled={busy}>
            Save
          </button>
        )}
      </form>
      <div className="dialog-form">
        <p className="hint">
          {room.archived
            ? 'This room is archived: read-only for everyone until it is unarchived.'
            : 'Archiving makes the room read-only: history stays, nobody can post.'}
        </p>
        <button
          type="button"
          className={room.archived ? undefined : 'danger'}
          disabled={busy}
          onClick={() => void apply({ archived: !room.archived })}
        >
          {room.archived ? 'Unarchive room' : 'Archive room'}
        </button>
      </div>
    </Dialog>
  );
}
