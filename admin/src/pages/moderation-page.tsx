import { useQuery, useQueryClient } from '@tanstack/react-query';
import { createColumnHelper } from '@tanstack/react-table';
import { useMemo, useState } from 'react';
import { useForm, useWatch } from 'react-hook-form';
import { errorField, errorMessage } from '../api/errors';
import {
  auditLog,
  listReports,
  RESOLVE_ACTIONS,
  resolveReport,
  type AuditEntry,
  type ModerationReport,
  type ReportStatusFilter,
  type ResolveAction,
} from '../api/moderation';
import { DataTable } from '../components/data-table';
import { formatDate } from '../components/format';
import { Badge, ErrorBanner, Loading } from '../components/status';
import { UserName } from '../components/user-name';
import { useConsoleUser } from '../session/session';

const report = createColumnHelper<ModerationReport>();
const audit = createColumnHelper<AuditEntry>();

/** The moderation plugin's reports queue and audit log (moderators and admins). */
export function ModerationPage() {
  const { client } = useConsoleUser();
  const [status, setStatus] = useState<ReportStatusFilter>('open');
  const [resolving, setResolving] = useState<ModerationReport | null>(null);
  const [auditLimit, setAuditLimit] = useState(100);
  const reports = useQuery({ queryKey: ['reports', status], queryFn: () => listReports(client, status) });
  const entries = useQuery({ queryKey: ['audit', auditLimit], queryFn: () => auditLog(client, auditLimit) });

  const reportColumns = useMemo(
    () => [
      report.accessor('createdAt', { header: 'Reported', cell: (c) => formatDate(c.getValue()) }),
      report.accessor('reason', { header: 'Reason' }),
      report.accessor('authorId', { header: 'Author', cell: (c) => <UserName id={c.getValue()} /> }),
      report.accessor('reporterId', { header: 'Reporter', cell: (c) => <UserName id={c.getValue()} /> }),
      report.accessor('messageId', { header: 'Message', cell: (c) => <code>{c.getValue()}</code> }),
      report.accessor('status', {
        header: 'Status',
        cell: ({ row: { original: r } }) =>
          r.resolution ? (
            <span>
              <Badge tone="neutral">{r.resolution.action}</Badge> {r.resolution.note}
            </span>
          ) : (
            <Badge tone="warn">open</Badge>
          ),
      }),
      report.display({
        id: 'actions',
        header: 'Actions',
        cell: ({ row: { original: r } }) =>
          r.status === 'open' && (
            <button type="button" onClick={() => setResolving(r)}>
              Resolve
            </button>
          ),
      }),
    ],
    [],
  );

  const auditColumns = useMemo(
    () => [
      audit.accessor('at', { header: 'When', cell: (c) => formatDate(c.getValue()) }),
      audit.accessor('actor', { header: 'Actor', cell: (c) => <UserName id={c.getValue()} /> }),
      audit.accessor('action', { header: 'Action' }),
      audit.accessor('userId', { header: 'User', cell: (c) => <UserName id={c.getValue()} /> }),
      audit.accessor('roomId', { header: 'Room', cell: (c) => <code>{c.getValue() ?? '—'}</code> }),
      audit.accessor('reason', { header: 'Reason' }),
    ],
    [],
  );

  return (
    <section aria-labelledby="moderation-title">
      <h1 id="moderation-title">Moderation</h1>
      <h2>Reports</h2>
      <div className="toolbar">
        <label>
          Show
          <select value={status} onChange={(event) => setStatus(event.target.value as ReportStatusFilter)}>
            <option value="open">open</option>
            <option value="resolved">resolved</option>
            <option value="all">all</option>
          </select>
        </label>
      </div>
      <ErrorBanner error={reports.error} />
      {reports.isPending ? (
        <Loading what="reports" />
      ) : (
        <DataTable
          label="Reports"
          data={reports.data ?? []}
          columns={reportColumns}
          getRowId={(r) => r.id}
          empty="No reports."
        />
      )}
      {resolving && <ResolveForm report={resolving} onDone={() => setResolving(null)} />}

      <h2>Audit log</h2>
      <div className="toolbar">
        <label>
          Latest
          <select value={auditLimit} onChange={(event) => setAuditLimit(Number(event.target.value))}>
            {[50, 100, 500, 1000].map((n) => (
              <option key={n}>{n}</option>
            ))}
          </select>
        </label>
      </div>
      <ErrorBanner error={entries.error} />
      {entries.isPending ? (
        <Loading what="audit log" />
      ) : (
        <DataTable
          label="Audit log"
          data={entries.data ?? []}
          columns={auditColumns}
          getRowId={(e) => e.id}
          empty="No moderation actions yet."
        />
      )}
    </section>
  );
}

interface ResolveFormInput {
  action: ResolveAction;
  note: string;
  durationSeconds: string;
}

const ACTION_HELP: Record<ResolveAction, string> = {
  dismiss: 'close the report, nothing else',
  delete: 'delete the reported message',
  mute: 'mute the author in that room',
  ban: 'ban the author',
};

function ResolveForm({ report, onDone }: { report: ModerationReport; onDone: () => void }) {
  const { client } = useConsoleUser();
  const queryClient = useQueryClient();
  const {
    register,
    handleSubmit,
    control,
    setError,
    formState: { errors, isSubmitting },
  } = useForm<ResolveFormInput>({ defaultValues: { action: 'dismiss', note: '', durationSeconds: '' } });
  const action = useWatch({ control, name: 'action' });

  const submit = handleSubmit(async ({ action, note, durationSeconds }) => {
    try {
      await resolveReport(client, report.id, {
        action,
        note: note.trim(),
        ...((action === 'mute' || action === 'ban') && durationSeconds
          ? { durationSeconds: Number(durationSeconds) }
          : {}),
      });
      await queryClient.invalidateQueries({ queryKey: ['reports'] });
      await queryClient.invalidateQueries({ queryKey: ['audit'] });
      onDone();
    } catch (err) {
      const field = errorField(err, 'body.');
      const known = (['action', 'note', 'durationSeconds'] as const).find((f) => f === field);
      setError(known ?? 'root', { message: errorMessage(err) });
    }
  });

  return (
    <form className="panel form" aria-label="Resolve report" onSubmit={submit} noValidate>
      <h2>Resolve report</h2>
      <p>
        “{report.reason}” about message <code>{report.messageId}</code> by <UserName id={report.authorId} />
      </p>
      <label>
        Action
        <select {...register('action')}>
          {RESOLVE_ACTIONS.map((a) => (
            <option key={a} value={a}>
              {a} — {ACTION_HELP[a]}
            </option>
          ))}
        </select>
      </label>
      {errors.action && <p className="field-error">{errors.action.message}</p>}
      <label>
        Note
        <input {...register('note', { required: 'A note is required', maxLength: 1000 })} />
      </label>
      {errors.note && <p className="field-error">{errors.note.message}</p>}
      {(action === 'mute' || action === 'ban') && (
        <>
          <label>
            Duration in seconds (empty: until lifted)
            <input type="number" min={1} {...register('durationSeconds')} />
          </label>
          {errors.durationSeconds && <p className="field-error">{errors.durationSeconds.message}</p>}
        </>
      )}
      {errors.root && (
        <p role="alert" className="error">
          {errors.root.message}
        </p>
      )}
      <div className="buttons">
        <button type="button" onClick={onDone}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={isSubmitting}>
          Resolve
        </button>
      </div>
    </form>
  );
}
