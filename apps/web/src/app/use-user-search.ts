import type { UserView } from '@palaver/client';
import { useEffect, useState } from 'react';
import { describeError } from './errors';
import { useChat } from './store-context';

/**
 * Accounts matching `query` (not banned), looked up 200 ms after the last keystroke; an answer that
 * arrives after the query changed again is dropped.
 */
export function useUserSearch(query: string, limit: number): { users: UserView[]; error: string | null } {
  const chat = useChat();
  const [users, setUsers] = useState<UserView[]>([]);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let cancelled = false;
    const timer = setTimeout(() => {
      chat.client.users.list({ q: query.trim() || undefined, limit }).then(
        (page) => {
          if (cancelled) return;
          setUsers(page.items.filter((u) => !u.banned));
          setError(null);
        },
        (err: unknown) => !cancelled && setError(describeError(err)),
      );
    }, 200);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [chat, query, limit]);

  return { users, error };
}
