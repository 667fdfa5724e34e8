import type { UserView } from '@palaver/client';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { AuthScreen } from '../auth/AuthScreen';
import type { Session } from '../session/session';
import { ChatLayout } from './ChatLayout';
import { ChatStore } from './chat-store';
import { describeError } from './errors';
import { ChatStoreContext } from './store-context';

type Phase =
  { kind: 'checking' } | { kind: 'signed-out'; message?: string } | { kind: 'signed-in'; me: UserView };

/** `/r/<roomId>` is a room; anything else is the room list. */
export function roomIdFromPath(pathname: string): string | null {
  const match = /^\/r\/([A-Za-z0-9_-]+)\/?$/.exec(pathname);
  return match ? match[1] : null;
}

export function App({ session }: { session: Session }) {
  const { client } = session;
  const [phase, setPhase] = useState<Phase>(() =>
    client.accessToken ? { kind: 'checking' } : { kind: 'signed-out' },
  );

  // A stored session is checked once (refreshing its access token if needed).
  useEffect(() => {
    if (phase.kind !== 'checking') return;
    let cancelled = false;
    client.me().then(
      (me) => !cancelled && setPhase({ kind: 'signed-in', me }),
      () => !cancelled && setPhase({ kind: 'signed-out' }),
    );
    return () => {
      cancelled = true;
    };
  }, [client, phase.kind]);

  // Tokens gone without a local logout: the session expired or another tab logged out.
  useEffect(
    () =>
      session.onLost(() =>
        setPhase((current) =>
          current.kind === 'signed-in'
            ? { kind: 'signed-out', message: 'Your session has ended. Please log in again.' }
            : current,
        ),
      ),
    [session],
  );

  const me = phase.kind === 'signed-in' ? phase.me : null;
  const store = useMemo(() => (me ? new ChatStore(client, me) : null), [client, me]);
  useEffect(() => {
    if (!store) return;
    store.start().catch((err: unknown) => store.notify('error', describeError(err)));
    const initial = roomIdFromPath(window.location.pathname);
    if (initial) void store.openRoom(initial);
    const onPopState = () => {
      const roomId = roomIdFromPath(window.location.pathname);
      if (roomId) void store.openRoom(roomId);
      else store.closeRoom();
    };
    window.addEventListener('popstate', onPopState);
    return () => {
      window.removeEventListener('popstate', onPopState);
      store.dispose();
    };
  }, [store]);

  // The address bar follows the open room (so a reload or a shared link opens it again).
  const activeRoomId = useActiveRoomId(store);
  useEffect(() => {
    if (!store) return;
    const path = activeRoomId ? `/r/${activeRoomId}` : '/';
    if (window.location.pathname !== path) window.history.pushState(null, '', path);
  }, [store, activeRoomId]);

  const logout = useCallback(async () => {
    setPhase({ kind: 'signed-out' });
    await client.logout().catch(() => undefined);
  }, [client]);

  if (phase.kind === 'checking') return <div className="splash">Loading…</div>;
  if (phase.kind === 'signed-out')
    return (
      <AuthScreen
        client={client}
        message={phase.message}
        onSignedIn={(u) => setPhase({ kind: 'signed-in', me: u })}
      />
    );
  if (!store) return <div className="splash">Loading…</div>;
  return (
    <ChatStoreContext.Provider value={store}>
      <ChatLayout onLogout={logout} />
    </ChatStoreContext.Provider>
  );
}

function useActiveRoomId(store: ChatStore | null): string | null {
  const [roomId, setRoomId] = useState<string | null>(null);
  useEffect(() => {
    if (!store) return;
    const update = () => setRoomId(store.activeRoomId);
    update();
    return store.subscribe(update);
  }, [store]);
  return roomId;
}
