import { useQuery } from '@tanstack/react-query';
import { useConsoleUser } from '../session/session';

/** A user id shown as @username (looked up once per id and cached); `auto` and `system` as they are. */
export function UserName({ id }: { id: string | undefined }) {
  const { client } = useConsoleUser();
  const known = id !== undefined && id !== 'auto' && id !== 'system';
  const user = useQuery({
    queryKey: ['user', id],
    queryFn: () => client.users.get(id!),
    enabled: known,
    staleTime: 60_000,
  });
  if (!id) return <span className="muted">—</span>;
  if (!known) return <span className="muted">{id}</span>;
  return <span title={id}>{user.data ? `@${user.data.username}` : id}</span>;
}
