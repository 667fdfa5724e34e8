import type { Role } from '@palaver/client';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { errorField, errorMessage } from '../api/errors';
import { useConsoleUser } from '../session/session';

interface CreateUserInput {
  username: string;
  displayName: string;
  password: string;
  role: Role;
}

const FIELDS = ['username', 'displayName', 'password', 'role'] as const;

/** Admins create accounts (works while self-registration is closed); the server's checks name the field. */
export function CreateUserForm({ onCreated }: { onCreated: () => unknown }) {
  const { client } = useConsoleUser();
  const {
    register,
    handleSubmit,
    reset,
    setError,
    formState: { errors, isSubmitting },
  } = useForm<CreateUserInput>({
    defaultValues: { username: '', displayName: '', password: '', role: 'member' },
  });

  const [created, setCreated] = useState<string | null>(null);

  const submit = handleSubmit(async ({ displayName, ...input }) => {
    setCreated(null);
    try {
      const user = await client.users.create({
        ...input,
        ...(displayName.trim() ? { displayName: displayName.trim() } : {}),
      });
      reset();
      setCreated(`Account @${user.username} created (${user.role}).`);
      await onCreated();
    } catch (err) {
      const field = errorField(err);
      const known = FIELDS.find((f) => f === field);
      setError(known ?? 'root', { message: errorMessage(err) });
    }
  });

  return (
    <form className="panel form" aria-label="Create account" onSubmit={(e) => void submit(e)} noValidate>
      <h2>Create account</h2>
      <label>
        Username
        <input autoComplete="off" {...register('username', { required: 'A username is required' })} />
      </label>
      {errors.username && <p className="field-error">{errors.username.message}</p>}
      <label>
        Display name (optional)
        <input autoComplete="off" {...register('displayName')} />
      </label>
      {errors.displayName && <p className="field-error">{errors.displayName.message}</p>}
      <label>
        Password
        <input
          type="password"
          autoComplete="new-password"
          {...register('password', { required: 'A password is required' })}
        />
      </label>
      {errors.password && <p className="field-error">{errors.password.message}</p>}
      <label>
        Role
        <select {...register('role')}>
          <option value="member">member</option>
          <option value="moderator">moderator</option>
          <option value="admin">admin</option>
        </select>
      </label>
      {errors.root && (
        <p role="alert" className="error">
          {errors.root.message}
        </p>
      )}
      {created && (
        <p role="status" className="notice">
          {created}
        </p>
      )}
      <button type="submit" className="primary" disabled={isSubmitting}>
        Create account
      </button>
    </form>
  );
}
