import { FormEvent, useState } from 'react';
import { describeError, errorField } from '../app/errors';
import { useChat } from '../app/store-context';
import { Dialog } from '../rooms/RoomDialogs';
import { FormError } from '../app/FormError';

interface Failure {
  text: string;
  field?: string;
}

/** The member's own account: display name and password (a change logs out every other device). */
export function AccountDialog({ onClose }: { onClose(): void }) {
  const chat = useChat();
  const [displayName, setDisplayName] = useState(chat.me.displayName);
  const [nameState, setNameState] = useState<{ error?: Failure; saved?: boolean; busy?: boolean }>({});
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [passwordState, setPasswordState] = useState<{ error?: Failure; saved?: boolean; busy?: boolean }>(
    {},
  );

  const saveName = async (event: FormEvent) => {
    event.preventDefault();
    setNameState({ busy: true });
    try {
      await chat.setDisplayName(displayName.trim());
      setNameState({ saved: true });
    } catch (err) {
      setNameState({ error: { text: describeError(err), field: errorField(err) } });
    }
  };

  const savePassword = async (event: FormEvent) => {
    event.preventDefault();
    if (next !== repeat) {
      setPasswordState({ error: { text: 'The new passwords differ', field: 'repeat' } });
      return;
    }
    setPasswordState({ busy: true });
    try {
      await chat.changePassword(current, next);
      setCurrent('');
      setNext('');
      setRepeat('');
      setPasswordState({ saved: true });
    } catch (err) {
      setPasswordState({ error: { text: describeError(err), field: errorField(err) } });
    }
  };

  return (
    <Dialog title="Your account" onClose={onClose}>
      <p className="hint">
        Signed in as <strong>{chat.me.username}</strong>
      </p>
      <form onSubmit={saveName} className="dialog-form" aria-label="Display name">
        <label>
          Display name
          <input
            value={displayName}
            onChange={(e) => {
              setDisplayName(e.target.value);
              setNameState({});
            }}
            required
            maxLength={64}
          />
        </label>
        <FormError message={nameState.error?.text} />
        {nameState.saved && <p role="status">Display name saved.</p>}
        <button type="submit" disabled={nameState.busy || !displayName.trim()}>
          Save name
        </button>
      </form>
      <form onSubmit={savePassword} className="dialog-form" aria-label="Change password">
        <h3>Change password</h3>
        <p className="hint">Every other device signed in to this account is logged out; this one stays.</p>
        <label>
          Current password
          <input
            type="password"
            autoComplete="current-password"
            value={current}
            onChange={(e) => setCurrent(e.target.value)}
            required
          />
        </label>
        <label>
          New password
          <input
            type="password"
            autoComplete="new-password"
            value={next}
            onChange={(e) => setNext(e.target.value)}
            required
            minLength={8}
            maxLength={256}
          />
        </label>
        <label>
          Repeat new password
          <input
            type="password"
            autoComplete="new-password"
            value={repeat}
            onChange={(e) => setRepeat(e.target.value)}
            required
          />
        </label>
        <FormError message={passwordState.error?.text} />
        {passwordState.saved && <p role="status">Password changed. Other devices were logged out.</p>}
        <button type="submit" className="primary" disabled={passwordState.busy}>
          Change password
        </button>
      </form>
    </Dialog>
  );
}
