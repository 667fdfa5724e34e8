import type { PalaverClient, UserView } from '@palaver/client';
import { FormEvent, useState } from 'react';
import { describeError, errorField } from '../app/errors';
import { FormError } from '../app/FormError';

interface Props {
  client: PalaverClient;
  /** Why the member is here again (an ended session). */
  message?: string;
  onSignedIn(user: UserView): void;
}

/** Log in, or create an account (the server decides whether registration is open). */
export function AuthScreen({ client, message, onSignedIn }: Props) {
  const [mode, setMode] = useState<'login' | 'register'>('login');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [error, setError] = useState<{ text: string; field?: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const result =
        mode === 'login'
          ? await client.login(username.trim(), password)
          : await client.register(username.trim(), password, displayName.trim() || undefined);
      onSignedIn(result.user);
    } catch (err) {
      setError({ text: describeError(err), field: errorField(err) });
      setBusy(false);
    }
  };

  const fieldError = (field: string) =>
    error?.field === field ? (
      <span className="field-error" role="alert">
        {error.text}
      </span>
    ) : null;

  return (
    <main className="auth">
      <form
        className="auth-card"
        onSubmit={submit}
        aria-label={mode === 'login' ? 'Log in' : 'Create account'}
      >
        <h1>Palaver</h1>
        {message && <p className="auth-message">{message}</p>}
        <div className="tabs" role="tablist">
          <button
            type="button"
            role="tab"
            aria-selected={mode === 'login'}
            onClick={() => {
              setMode('login');
              setError(null);
            }}
          >
            Log in
          </button>
          <button
            type="button"
            role="tab"
            aria-selected={mode === 'register'}
            onClick={() => {
              setMode('register');
              setError(null);
            }}
          >
            Create account
          </button>
        </div>
        <label>
          Username
          <input
            name="username"
            autoComplete="username"
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            required
            minLength={3}
            maxLength={32}
            aria-invalid={error?.field === 'username'}
          />
          {fieldError('username')}
        </label>
        {mode === 'register' && (
          <label>
            Display name <span className="hint">(optional)</span>
            <input
              name="displayName"
              autoComplete="nickname"
              value={displayName}
              onChange={(e) => setDisplayName(e.target.value)}
              maxLength={64}
            />
            {fieldError('displayName')}
          </label>
        )}
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete={mode === 'login' ? 'current-password' : 'new-password'}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            required
            minLength={mode === 'register' ? 8 : 1}
            aria-invalid={error?.field === 'password'}
          />
          {fieldError('password')}
        </label>
        {error && !['username', 'password', 'displayName'].includes(error.field ?? '') && (
          <FormError message={error.text} />
        )}
        <button type="submit" className="primary" disabled={busy}>
          {mode === 'login' ? 'Log in' : 'Create account'}
        </button>
      </form>
    </main>
  );
}
