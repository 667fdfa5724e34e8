import type { PalaverClient } from '@palaver/client';

/** The moderation plugin's routes (plugins/moderation): reports queue, resolutions, audit log. */
export type ReportStatusFilter = 'open' | 'resolved' | 'all';
export type ResolveAction = 'dismiss' | 'delete' | 'mute' | 'ban';
export const RESOLVE_ACTIONS: readonly ResolveAction[] = ['dismiss', 'delete', 'mute', 'ban'];

export interface ModerationReport {
  id: string;
  messageId: string;
  roomId: string;
  authorId: string;
  reporterId: string;
  reason: string;
  createdAt: string;
  status: 'open' | 'resolved';
  resolution?: { by: string; action: ResolveAction; note: string; at: string };
}

export interface AuditEntry {
  id: string;
  at: string;
  /** A moderator's user id, or `auto` for the plugin's own rules. */
  actor: string;
  action: string;
  userId?: string;
  roomId?: string;
  messageId?: string;
  reportId?: string;
  reason: string;
}

export interface ResolveInput {
  action: ResolveAction;
  note: string;
  durationSeconds?: number;
}

export async function listReports(
  client: PalaverClient,
  status: ReportStatusFilter,
): Promise<ModerationReport[]> {
  const page = await client.plugins.call<{ reports: ModerationReport[] }>(
    'moderation',
    'GET',
    '/reports',
    undefined,
    { status },
  );
  return page.reports;
}

export function resolveReport(
  client: PalaverClient,
  id: string,
  input: ResolveInput,
): Promise<ModerationReport> {
  return client.plugins.call('moderation', 'POST', `/reports/${encodeURIComponent(id)}/resolve`, input);
}

export async function auditLog(client: PalaverClient, limit: number): Promise<AuditEntry[]> {
  const page = await client.plugins.call<{ entries: AuditEntry[] }>(
    'moderation',
    'GET',
    '/audit',
    undefined,
    {
      limit: String(limit),
    },
  );
  return page.entries;
}
