import type { Role, UserView } from '@palaver/client';
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { createColumnHelper } from '@tanstack/react-table';
import { useCallback, useMemo, useState } from 'react';
import { quotaUsage } from '../api/storage-quota';
import { useConfirm } from '../components/confirm-dialog';
import { DataTable } from '../components/data-table';
import { formatDate } from '../components/format';
import { QuotaUsageView } from '../components/quota-usage';
import { Pager, useCursorPager } from '../components/pager';
import { Badge, ErrorBanner, Loading } from '../components/status';
import { useConsoleUser } from '../session/session';
import { CreateUserForm } from './create-user-form';

const ROLES: readonly Role[] = ['member', 'moderator', 'admin'];
/** The server lets an account act (ban) only on accounts of a lower rank. */
const RANK: Record<Role, number> = { member: 0, moderator: 1, admin: 2 };
const PAGE_SIZES = [10, 25, 50, 100];

const column = createColumnHelper<UserView>();

export function UsersPage() {
  const { client, user: me, isAdmin } = useConsoleUser();
  const queryClient = useQueryClient();
  const confirm = useConfirm();
  const pager = useCursorPager();
  const [search, setSearch] = useState('');
  const [q, setQ] = useState('');
  const [limit, setLimit] = useState(25);
  const [usageOf, setUsageOf] = useState<UserView | null>(null);

  const users = useQuery({
    queryKey: ['users', q, pager.cursor, limit],
    queryFn: () => client.users.list({ q: q || undefined, cursor: pager.cursor, limit }),
    placeholderData: keepPreviousData,
  });
  const refresh = useCallback(() => queryClient.invalidateQueries({ queryKey: ['users'] }), [queryClient]);

  const columns = useMemo(
    () => [
      column.accessor('username', { header: 'Username', cell: (c) => `@${c.getValue()}` }),
      column.accessor('displayName', { header: 'Display name' }),
      column.accessor('role', {
        header: 'Role',
        cell: ({ row, getValue }) =>
          isAdmin && row.original.id !== me.id ? (
            <select
              aria-label={`Role of ${row.original.username}`}
              value={getValue()}
              onChange={(event) => {
                const role = event.target.value as Role;
                confirm({
                  title: `Make @${row.original.username} ${role === 'admin' ? 'an' : 'a'} ${role}?`,
                  body: <p>Global roles decide who may use this console and moderate.</p>,
                  confirmLabel: 'Change role',
                  action: async () => {
                    await client.users.setRole(row.original.id, role);
                    await refresh();
                  },
                });
              }}
            >
              {ROLES.map((role) => (
                <option key={role} value={role}>
                  {role}
                </option>
              ))}
            </select>
          ) : (
            getValue()
          ),
      }),
      column.accessor('banned', {
        header: 'Status',
        cell: (c) => (c.getValue() ? <Badge tone="bad">banned</Badge> : <Badge tone="ok">active</Badge>),
      }),
      column.accessor('createdAt', { header: 'Created', cell: (c) => formatDate(c.getValue()) }),
      column.display({
        id: 'actions',
        header: 'Actions',
        cell: ({ row: { original: user } }) => (
          <div className="actions">
            {user.id !== me.id &&
              RANK[me.role] > RANK[user.role] &&
              (user.banned ? (
                <button
                  type="button"
                  onClick={() =>
                    confirm({
                      title: `Unban @${user.username}?`,
                      body: <p>They can log in again.</p>,
                      confirmLabel: 'Unban',
                      action: async () => {
                        await client.users.unban(user.id);
                        await refresh();
                      },
                    })
                  }
                >
                  Unban
                </button>
              ) : (
                <button
                  type="button"
                  className="danger"
                  onClick={() =>
                    confirm({
                      title: `Ban @${user.username}?`,
                      body: (
                        <p>
                          Their sessions end and their sockets are disconnected at once; they cannot log in.
                        </p>
                      ),
                      input: { label: 'Reason (optional)', maxLength: 500 },
                      confirmLabel: 'Ban',
                      danger: true,
                      action: async (reason) => {
                        await client.users.ban(user.id, reason || undefined);
                        await refresh();
                      },
                    })
                  }
                >
                  Ban
                </button>
              ))}
            {isAdmin && (
              <button type="button" onClick={() => setUsageOf(user)}>
                Storage
              </button>
            )}
          </div>
        ),
      }),
    ],
    [client, confirm, isAdmin, me, refresh],
  );

  return (
    <section aria-labelledby="users-title">
      <h1 id="users-title">Users</h1>
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
          Username starts with
          <input value={search} onChange={(event) => setSearch(event.target.value)} maxLength={32} />
        </label>
        <button type="submit">Search</button>
        <label>
          Per page
          <select
            value={limit}
            onChange={(event) => {
              setLimit(Number(event.target.value));
              pager.reset();
            }}
          >
            {PAGE_SIZES.map((n) => (
              <option key={n}>{n}</option>
            ))}
          </select>
        </label>
      </form>
      <ErrorBanner error={users.error} />
      {users.isPending ? (
        <Loading what="users" />
      ) : (
        <>
          <DataTable
            label="Users"
            data={users.data?.items ?? []}
            columns={columns}
            getRowId={(u) => u.id}
            empty={q ? `No username starts with “${q}”.` : 'No users.'}
          />
          <Pager
            page={pager.page}
            hasNext={Boolean(users.data?.nextCursor)}
            onPrevious={pager.previous}
            onNext={() => users.data?.nextCursor && pager.next(users.data.nextCursor)}
          />
          <p className="muted">Ordered by username on the server; click a header to sort this page.</p>
        </>
      )}
      {usageOf && <UserStorage user={usageOf} onClose={() => setUsageOf(null)} />}
      {isAdmin && <CreateUserForm onCreated={refresh} />}
    </section>
  );
}

function UserStorage({ user, onClose }: { user: UserView; onClose: () => void }) {
  const { client } = useConsoleUser();
  const usage = useQuery({
    queryKey: ['quota', 'user', user.id],
    queryFn: () => quotaUsage(client, { userId: user.id }),
  });
  return (
    <aside className="panel" aria-label={`Storage of @${user.username}`}>
      <h2>Storage of @{user.username}</h2>
      {usage.isPending ? (
        <Loading what="usage" />
      ) : usage.error ? (
        <ErrorBanner error={usage.error} />
      ) : (
        <QuotaUsageView quota={usage.data} />
      )}
      <button type="button" onClick={onClose}>
        Close
      </button>
    </aside>
  );
}
