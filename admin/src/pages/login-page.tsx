import { useForm } from 'react-hook-form';
import { errorMessage } from '../api/errors';
import { useSession } from '../session/session';

interface LoginForm {
  username: string;
  password: string;
}

export function LoginPage() {
  const { login, notice } = useSession();
  const {
    register,
    handleSubmit,
    setError,
    formState: { errors, isSubmitting },
  } = useForm<LoginForm>({ defaultValues: { username: '', password: '' } });

  const submit = handleSubmit(async ({ username, password }) => {
    try {
      await login(username.trim(), password);
    } catch (err) {
      setError('root', { message: errorMessage(err) });
    }
  });

  return (
    <main className="login">
      <form onSubmit={submit} aria-label="Log in" noValidate>
        <h1>Palaver admin</h1>
        <p className="muted">Log in with an admin or moderator account.</p>
        {notice && <p className="notice">{notice}</p>}
        <label>
          Username
          <input autoComplete="username" {...register('username', { required: 'Enter your username' })} />
        </label>
        {errors.username && <p className="field-error">{errors.username.message}</p>}
        <label>
          Password
          <input
            type="password"
            autoComplete="current-password"
            {...register('password', { required: 'Enter your password' })}
          />
        </label>
        {errors.password && <p className="field-error">{errors.password.message}</p>}
        {errors.root && (
          <p role="alert" className="error">
            {errors.root.message}
          </p>
        )}
        <button type="submit" className="primary" disabled={isSubmitting}>
          Log in
        </button>
      </form>
    </main>
  );
}
