import type { RoomView } from '@palaver/client';
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { createColumnHelper } from '@tanstack/react-table';
import { useCallback, useMemo, useState } from 'react';
import { errorMessage } from '../api/errors';
import { quotaUsage } from '../api/storage-quota';
import { useConfirm } from '../components/confirm-dialog';
import { DataTable } from '../components/data-table';
import { formatDate } from '../components/format';
import { QuotaUsageView } from '../components/quota-usage';
import { Pager, useCursorPager } from '../components/pager';
import { Badge, ErrorBanner, Loading } from '../components/status';
import { useConsoleUser } from '../session/session';

type Source = 'directory' | 'mine' | 'opened';
const SOURCES: { id: Source; label: string }[] = [
  { id: 'directory', label: 'Public directory' },
  { id: 'mine', label: 'My rooms' },
  { id: 'opened', label: 'Opened here' },
];

const column = createColumnHelper<RoomView>();

/**
 * The API lists public unarchived rooms (directory) and the caller's own rooms; admins may open any room
 * by id. Rooms opened or changed on this page stay under "Opened here", so an archived room (which leaves
 * the directory) can be unarchived again.
 */
export function RoomsPage() {
  const { client, isAdmin } = useConsoleUser();
  const queryClient = useQueryClient();
  const confirm = useConfirm();
  const pager = useCursorPager();
  const [source, setSource] = useState<Source>('directory');
  const [search, setSearch] = useState('');
  const [q, setQ] = useState('');
  const [roomId, setRoomId] = useState('');
  const [openError, setOpenError] = useState<string | null>(null);
  const [opened, setOpened] = useState<RoomView[]>([]);
  const [selected, setSelected] = useState<RoomView | null>(null);

  const directory = useQuery({
    queryKey: ['rooms', 'directory', q, pager.cursor],
    queryFn: () => client.rooms.directory({ q: q || undefined, after: pager.cursor, limit: 25 }),
    enabled: source === 'directory',
    placeholderData: keepPreviousData,
  });
  const mine = useQuery({
    queryKey: ['rooms', 'mine'],
    queryFn: () => client.rooms.listMine(),
    enabled: source === 'mine',
  });

  const remember = useCallback(
    (room: RoomView) => setOpened((list) => [room, ...list.filter((r) => r.id !== room.id)]),
    [],
  );
  const forget = useCallback((id: string) => setOpened((list) => list.filter((r) => r.id !== id)), []);
  const refresh = useCallback(() => queryClient.invalidateQueries({ queryKey: ['rooms'] }), [queryClient]);

  const columns = useMemo(
    () => [
      column.accessor('name', { header: 'Name' }),
      column.accessor('kind', { header: 'Kind' }),
      column.accessor('memberCount', { header: 'Members' }),
      column.accessor('archived', {
        header: 'Status',
        cell: (c) => (c.getValue() ? <Badge tone="warn">archived</Badge> : <Badge tone="ok">active</Badge>),
      }),
      column.accessor('createdAt', { header: 'Created', cell: (c) => formatDate(c.getValue()) }),
      column.display({
        id: 'actions',
        header: 'Actions',
        cell: ({ row: { original: room } }) => (
          <div className="actions">
            <button type="button" onClick={() => setSelected(room)}>
              Members
            </button>
            {isAdmin && room.kind !== 'direct' && (
              <button
                type="button"
                onClick={() =>
                  confirm({
                    title: `${room.archived ? 'Unarchive' : 'Archive'} ${room.name}?`,
                    body: room.archived ? (
                      <p>Members can post again.</p>
                    ) : (
                      <p>The room becomes read-only and leaves the public directory.</p>
                    ),
                    confirmLabel: room.archived ? 'Unarchive' : 'Archive',
                    action: async () => {
                      remember(await client.rooms.update(room.id, { archived: !room.archived }));
                      await refresh();
                    },
                  })
                }
              >
                {room.archived ? 'Unarchive' : 'Archive'}
              </button>
            )}
            {isAdmin && (
              <button
                type="button"
                className="danger"
                onClick={() =>
                  confirm({
                    title: `Delete ${room.name || 'this conversation'}?`,
                    body: (
                      <p>
                        The room, its memberships and all its messages are deleted. This cannot be undone.
                      </p>
                    ),
                    confirmLabel: 'Delete room',
                    danger: true,
                    action: async () => {
                      await client.rooms.delete(room.id);
                      forget(room.id);
                      setSelected((s) => (s?.id === room.id ? null : s));
                      await refresh();
                    },
                  })
                }
              >
                Delete
              </button>
            )}
          </div>
        ),
      }),
    ],
    [client, confirm, isAdmin, remember, forget, refresh],
  );

  const rows =
    source === 'directory' ? (directory.data?.rooms ?? []) : source === 'mine' ? (mine.data ?? []) : opened;
  const active = source === 'directory' ? directory : source === 'mine' ? mine : null;

  return (
    <section aria-labelledby="rooms-title">
      <h1 id="rooms-title">Rooms</h1>
      <div className="tabs" role="tablist">
        {SOURCES.map((s) => (
          <button
            key={s.id}
            type="button"
            role="tab"
            aria-selected={source === s.id}
            onClick={() => setSource(s.id)}
          >
            {s.label}
          </button>
        ))}
      </div>
      {source === 'directory' && (
        <form
          className="toolbar"
          role="search"
          onSubmit={(event) => {
            event.preventDefault();
            setQ(search.trim());
            pager.reset();
          }}
        >
          <label>
            Name starts with
            <input value={search} onChange={(event) => setSearch(event.target.value)} maxLength={80} />
          </label>
          <button type="submit">Search</button>
        </form>
      )}
      {isAdmin && (
        <form
          className="toolbar"
          onSubmit={(event) => {
            event.preventDefault();
            setOpenError(null);
            client.rooms.get(roomId.trim()).then(
              (room) => {
                remember(room);
                setSource('opened');
                setRoomId('');
              },
              (err: unknown) => setOpenError(errorMessage(err)),
            );
          }}
        >
          <label>
            Open a room by id
            <input value={roomId} onChange={(event) => setRoomId(event.target.value)} maxLength={64} />
          </label>
          <button type="submit" disabled={!roomId.trim()}>
            Open
          </button>
          {openError && <span className="error">{openError}</span>}
        </form>
      )}
      <ErrorBanner error={active?.error} />
      {active?.isPending ? (
        <Loading what="rooms" />
      ) : (
        <DataTable
          label="Rooms"
          data={rows}
          columns={columns}
          getRowId={(r) => r.id}
          empty={source === 'opened' ? 'Rooms you open by id or change appear here.' : 'No rooms.'}
        />
      )}
      {source === 'directory' && (
        <Pager
          page={pager.page}
          hasNext={Boolean(directory.data?.nextAfter)}
          onPrevious={pager.previous}
          onNext={() => directory.data?.nextAfter && pager.next(directory.data.nextAfter)}
        />
      )}
      {selected && <RoomMembers room={selected} onClose={() => setSelected(null)} />}
    </section>
  );
}

function RoomMembers({ room, onClose }: { room: RoomView; onClose: () => void }) {
  const { client, isAdmin } = useConsoleUser();
  const members = useQuery({
    queryKey: ['rooms', 'members', room.id],
    queryFn: () => client.rooms.members(room.id),
  });
  const usage = useQuery({
    queryKey: ['quota', 'room', room.id],
    queryFn: () => quotaUsage(client, { roomId: room.id }),
    enabled: isAdmin,
  });
  return (
    <aside className="panel" aria-label={`Members of ${room.name}`}>
      <h2>
        Members of {room.name || 'conversation'} <span className="muted">({room.id})</span>
      </h2>
      {isAdmin && usage.data && <QuotaUsageView quota={usage.data} />}
      <ErrorBanner error={members.error} />
      {members.isPending ? (
        <Loading what="members" />
      ) : (
        <table className="data-table" aria-label="Room members">
          <thead>
            <tr>
              <th>Username</th>
              <th>Room role</th>
              <th>Joined</th>
            </tr>
          </thead>
          <tbody>
            {(members.data ?? []).map((m) => (
              <tr key={m.userId}>
                <td>@{m.username}</td>
                <td>{m.role}</td>
                <td>{formatDate(m.joinedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <button type="button" onClick={onClose}>
        Close
      </button>
    </aside>
  );
}
