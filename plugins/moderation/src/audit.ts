import type { PluginContext } from '@palaver/plugin-sdk';
import { randomUUID } from 'node:crypto';
import type { ModerationSettings } from './settings';

/** One moderation action: who did what to whom, when, and why. */
export interface AuditEntry {
  id: string;
  at: string;
  /** A moderator's user id, or `auto` for the plugin's own rules. */
  actor: string;
  action:
    | 'message.blocked'
    | 'message.masked'
    | 'flood.limited'
    | 'report.created'
    | 'report.resolved'
    | 'message.deleted'
    | 'user.muted'
    | 'user.unmuted'
    | 'user.banned'
    | 'user.unbanned';
  userId?: string;
  roomId?: string;
  messageId?: string;
  reportId?: string;
  reason: string;
}

/** Audit entries live in the plugin's key-value store under `audit:<time>:<id>`, so they list in time order. */
export async function audit(
  ctx: PluginContext<ModerationSettings>,
  entry: Omit<AuditEntry, 'id' | 'at'>,
): Promise<AuditEntry> {
  const at = new Date().toISOString();
  const full: AuditEntry = { id: randomUUID(), at, ...entry };
  await ctx.kv.set(`audit:${at}:${full.id}`, full);
  ctx.metrics.increment(entry.action);
  return full;
}

export async function auditLog(ctx: PluginContext<ModerationSettings>, limit: number): Promise<AuditEntry[]> {
  const entries = await ctx.kv.list<AuditEntry>('audit:', { limit: 1000 });
  return entries
    .map((e) => e.value)
    .reverse()
    .slice(0, limit);
}
