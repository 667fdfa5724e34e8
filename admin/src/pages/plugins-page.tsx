import type { PluginStatus, PluginSummary } from '@palaver/client';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { createColumnHelper } from '@tanstack/react-table';
import { useMemo } from 'react';
import { Link } from 'react-router';
import { useConfirm } from '../components/confirm-dialog';
import { DataTable } from '../components/data-table';
import { Badge, ErrorBanner, Loading } from '../components/status';
import { useConsoleUser } from '../session/session';

const TONE: Record<PluginStatus, 'ok' | 'neutral' | 'bad'> = {
  enabled: 'ok',
  disabled: 'neutral',
  refused: 'bad',
  failed: 'bad',
};

const column = createColumnHelper<PluginSummary>();

/** Every plugin the host found: loaded or not (with the reason), counters, enable/disable, settings. */
export function PluginsPage() {
  const { client } = useConsoleUser();
  const queryClient = useQueryClient();
  const confirm = useConfirm();
  const plugins = useQuery({ queryKey: ['plugins'], queryFn: () => client.plugins.list() });

  const columns = useMemo(
    () => [
      column.accessor('id', {
        header: 'Plugin',
        cell: ({ row: { original: p } }) => (
          <span>
            <strong>{p.displayName ?? p.id}</strong> <span className="muted">{p.id}</span>
            {p.description && <span className="description">{p.description}</span>}
            {p.hooks.length > 0 && <span className="description">Hooks: {p.hooks.join(', ')}</span>}
            {p.routes.length > 0 && <span className="description">Routes: {p.routes.join(', ')}</span>}
          </span>
        ),
      }),
      column.accessor('version', { header: 'Version', cell: (c) => c.getValue() ?? '—' }),
      column.accessor('status', {
        header: 'Status',
        cell: ({ row: { original: p } }) => (
          <span>
            <Badge tone={TONE[p.status]}>{p.status}</Badge>
            {p.reason && <span className="error"> {p.reason}</span>}
          </span>
        ),
      }),
      column.accessor((p) => p.counters.calls, {
        id: 'calls',
        header: 'Hook calls',
      }),
      column.accessor((p) => p.counters.errors + p.counters.timeouts, {
        id: 'failures',
        header: 'Errors/timeouts',
        cell: ({ row: { original: p } }) => (
          <span title={p.recentFailures.map((f) => `${f.at} ${f.hook}: ${f.message}`).join('\n')}>
            {p.counters.errors}/{p.counters.timeouts}
          </span>
        ),
      }),
      column.display({
        id: 'actions',
        header: 'Actions',
        cell: ({ row: { original: p } }) => (
          <div className="actions">
            {p.status === 'enabled' && (
              <button
                type="button"
                onClick={() =>
                  confirm({
                    title: `Disable ${p.displayName ?? p.id}?`,
                    body: <p>Its hooks and routes stop on every node; its stored data stays.</p>,
                    confirmLabel: 'Disable',
                    danger: true,
                    action: async () => {
                      await client.plugins.disable(p.id);
                      await queryClient.invalidateQueries({ queryKey: ['plugins'] });
                    },
                  })
                }
              >
                Disable
              </button>
            )}
            {(p.status === 'disabled' || p.status === 'failed') && (
              <button
                type="button"
                onClick={() =>
                  confirm({
                    title: `Enable ${p.displayName ?? p.id}?`,
                    body: <p>Its hooks run on every message and upload they declare.</p>,
                    confirmLabel: 'Enable',
                    action: async () => {
                      await client.plugins.enable(p.id);
                      await queryClient.invalidateQueries({ queryKey: ['plugins'] });
                    },
                  })
                }
              >
                Enable
              </button>
            )}
            {p.status !== 'refused' && <Link to={`/plugins/${encodeURIComponent(p.id)}`}>Settings</Link>}
          </div>
        ),
      }),
    ],
    [client, confirm, queryClient],
  );

  return (
    <section aria-labelledby="plugins-title">
      <h1 id="plugins-title">Plugins</h1>
      <ErrorBanner error={plugins.error} />
      {plugins.isPending ? (
        <Loading what="plugins" />
      ) : (
        <DataTable
          label="Plugins"
          data={plugins.data ?? []}
          columns={columns}
          getRowId={(p) => p.id}
          empty="No plugins found (PLUGINS_DIR, PLUGINS)."
        />
      )}
    </section>
  );
}
