import { useQuery } from '@tanstack/react-query';
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { readiness } from '../api/health';
import { listReports } from '../api/moderation';
import { formatBytes } from '../components/format';
import { Badge, ErrorBanner, Loading } from '../components/status';
import { useConsoleUser } from '../session/session';

/** The collections whose document counts the overview shows as headline figures. */
const COUNTED = [
  { collection: 'users', label: 'Accounts' },
  { collection: 'rooms', label: 'Rooms' },
  { collection: 'messages', label: 'Messages' },
  { collection: 'media', label: 'Media files' },
];

export function OverviewPage() {
  const { client, isAdmin } = useConsoleUser();
  const health = useQuery({ queryKey: ['health'], queryFn: readiness, refetchInterval: 15_000 });
  const storage = useQuery({
    queryKey: ['storage-stats'],
    queryFn: () => client.admin.storage(),
    enabled: isAdmin,
    refetchInterval: 30_000,
  });
  const plugins = useQuery({ queryKey: ['plugins'], queryFn: () => client.plugins.list(), enabled: isAdmin });
  const reports = useQuery({ queryKey: ['reports', 'open'], queryFn: () => listReports(client, 'open') });

  const counts = new Map(storage.data?.collections.map((c) => [c.name, c.count]));
  const chart = (storage.data?.collections ?? []).slice(0, 12).map((c) => ({
    name: c.name,
    data: c.size,
    indexes: c.indexSize,
  }));

  return (
    <section aria-labelledby="overview-title">
      <h1 id="overview-title">Overview</h1>

      <h2>Health</h2>
      {health.isPending ? (
        <Loading what="health" />
      ) : health.error ? (
        <ErrorBanner error={health.error} />
      ) : (
        <div className="health">
          <p>
            Readiness:{' '}
            <Badge tone={health.data.ok ? 'ok' : 'bad'}>{health.data.ok ? 'ready' : 'not ready'}</Badge>
            {health.data.message && <span className="error"> {health.data.message}</span>}
          </p>
          <table className="data-table" aria-label="Dependencies">
            <thead>
              <tr>
                <th>Dependency</th>
                <th>Status</th>
                <th>Details</th>
              </tr>
            </thead>
            <tbody>
              {Object.entries(health.data.details).map(([name, detail]) => {
                const { status, ...rest } = detail;
                return (
                  <tr key={name}>
                    <td>{name}</td>
                    <td>
                      <Badge tone={status === 'up' ? 'ok' : 'bad'}>{String(status)}</Badge>
                    </td>
                    <td>
                      {Object.entries(rest)
                        .map(([k, v]) => `${k}: ${String(v)}`)
                        .join(', ')}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}

      <h2>Counts</h2>
      <div className="cards">
        {isAdmin &&
          COUNTED.map(({ collection, label }) => (
            <div className="card" key={collection}>
              <span className="figure">
                {storage.data ? (counts.get(collection) ?? 0).toLocaleString() : '…'}
              </span>
              <span className="muted">{label}</span>
            </div>
          ))}
        {isAdmin && (
          <div className="card">
            <span className="figure">
              {plugins.data
                ? `${plugins.data.filter((p) => p.status === 'enabled').length}/${plugins.data.length}`
                : '…'}
            </span>
            <span className="muted">Plugins enabled</span>
          </div>
        )}
        <div className="card">
          <span className="figure">{reports.data ? reports.data.length : reports.error ? '—' : '…'}</span>
          <span className="muted">Open reports</span>
        </div>
      </div>
      <ErrorBanner error={reports.error} />

      {isAdmin && (
        <>
          <h2>Storage</h2>
          <ErrorBanner error={storage.error} />
          {storage.data && (
            <>
              <p>
                Database: {formatBytes(storage.data.database.dataSize)} of documents in{' '}
                {storage.data.database.objects.toLocaleString()} objects,{' '}
                {formatBytes(storage.data.database.indexSize)} of indexes, {storage.data.database.collections}{' '}
                collections.
              </p>
              <figure className="chart" aria-label="Storage by collection">
                <ResponsiveContainer width="100%" height={320}>
                  <BarChart data={chart} margin={{ top: 8, right: 16, bottom: 48, left: 16 }}>
                    <CartesianGrid strokeDasharray="3 3" />
                    <XAxis dataKey="name" angle={-30} textAnchor="end" interval={0} height={60} />
                    <YAxis tickFormatter={(v: number) => formatBytes(v)} width={80} />
                    <Tooltip formatter={(v) => formatBytes(Number(v))} />
                    <Legend verticalAlign="top" />
                    <Bar dataKey="data" name="Documents" stackId="bytes" fill="#3b6ea5" />
                    <Bar dataKey="indexes" name="Indexes" stackId="bytes" fill="#9bb8d8" />
                  </BarChart>
                </ResponsiveContainer>
                <figcaption className="muted">
                  Bytes per collection (dbStats/collStats), largest first. Per-user and per-room upload usage
                  (storage-quota plugin) is on the Users and Rooms pages.
                </figcaption>
              </figure>
            </>
          )}
        </>
      )}
    </section>
  );
}
