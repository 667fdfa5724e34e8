import {
  definePlugin,
  modify,
  PluginError,
  reject,
  type HookPayloads,
  type PluginContext,
  type PluginReport,
} from '@palaver/plugin-sdk';
import { randomUUID } from 'node:crypto';
import { audit, auditLog } from './audit';
import { applyWordFilter, linkHosts, mentionCount, refusedLink } from './rules';
import { defaultSettings, settingsSchema, type ModerationSettings } from './settings';

export { applyWordFilter, linkHosts, mentionCount, refusedLink } from './rules';
export type { ModerationSettings } from './settings';
export type { AuditEntry } from './audit';

type Ctx = PluginContext<ModerationSettings>;

export interface StoredReport extends PluginReport {
  authorId: string;
  status: 'open' | 'resolved';
  resolution?: { by: string; action: ResolveAction; note: string; at: string };
}
type ResolveAction = 'dismiss' | 'delete' | 'mute' | 'ban';

/** The text checks shared by sends and edits; returns the decision for the hook. */
async function checkText(user: { id: string }, roomId: string, text: string, ctx: Ctx) {
  const settings = ctx.settings;
  if (settings.mentions.maxPerMessage > 0 && mentionCount(text) > settings.mentions.maxPerMessage) {
    await audit(ctx, {
      actor: 'auto',
      action: 'message.blocked',
      userId: user.id,
      roomId,
      reason: 'too many mentions',
    });
    return reject(`at most ${settings.mentions.maxPerMessage} mentions per message`);
  }
  const hosts = linkHosts(text);
  if (hosts.length > 0) {
    const refused = refusedLink(hosts, settings.links);
    if (refused) {
      await audit(ctx, {
        actor: 'auto',
        action: 'message.blocked',
        userId: user.id,
        roomId,
        reason: refused,
      });
      return reject(refused);
    }
    if (settings.links.newAccountMinutes > 0) {
      const account = await ctx.users.get(user.id);
      const ageMs = account ? Date.now() - Date.parse(account.createdAt) : 0;
      if (ageMs < settings.links.newAccountMinutes * 60_000) {
        await audit(ctx, {
          actor: 'auto',
          action: 'message.blocked',
          userId: user.id,
          roomId,
          reason: 'link from a new account',
        });
        return reject(`new accounts may post links after ${settings.links.newAccountMinutes} minutes`);
      }
    }
  }
  const verdict = applyWordFilter(text, roomId, settings.filter);
  if (verdict.kind === 'blocked') {
    await audit(ctx, {
      actor: 'auto',
      action: 'message.blocked',
      userId: user.id,
      roomId,
      reason: `matched ${verdict.match}`,
    });
    return reject('your message contains a blocked word');
  }
  if (verdict.kind === 'masked') {
    await audit(ctx, {
      actor: 'auto',
      action: 'message.masked',
      userId: user.id,
      roomId,
      reason: 'word filter',
    });
    return modify({ text: verdict.text });
  }
  return undefined;
}

async function beforeSend({ user, roomId, text }: HookPayloads['message.beforeSend'], ctx: Ctx) {
  const { flood } = ctx.settings;
  if (flood.messages > 0) {
    const { allowed, retryAfterMs } = await ctx.rateLimit.consume(`flood:${user.id}`, {
      points: flood.messages,
      durationSeconds: flood.perSeconds,
    });
    if (!allowed) {
      await audit(ctx, {
        actor: 'auto',
        action: 'flood.limited',
        userId: user.id,
        roomId,
        reason: `over ${flood.messages}/${flood.perSeconds}s`,
      });
      return reject('you are sending messages too fast', 'rate_limited', retryAfterMs);
    }
  }
  return checkText(user, roomId, text, ctx);
}

const reportBody = {
  type: 'object',
  properties: {
    messageId: { type: 'string', minLength: 1, maxLength: 100 },
    reason: { type: 'string', minLength: 1, maxLength: 1000 },
  },
  required: ['messageId', 'reason'],
  additionalProperties: false,
};

const resolveBody = {
  type: 'object',
  properties: {
    action: { type: 'string', enum: ['dismiss', 'delete', 'mute', 'ban'] },
    note: { type: 'string', minLength: 1, maxLength: 1000 },
    durationSeconds: { type: 'integer', minimum: 1, maximum: 31536000 },
  },
  required: ['action', 'note'],
  additionalProperties: false,
};

const sanctionBody = {
  type: 'object',
  properties: {
    userId: { type: 'string', minLength: 1, maxLength: 100 },
    kind: { type: 'string', enum: ['mute', 'ban'] },
    roomId: { type: 'string', minLength: 1, maxLength: 100 },
    durationSeconds: { type: 'integer', minimum: 1, maximum: 31536000 },
    reason: { type: 'string', minLength: 1, maxLength: 1000 },
  },
  required: ['userId', 'kind', 'reason'],
  additionalProperties: false,
};

const liftBody = {
  type: 'object',
  properties: {
    userId: { type: 'string', minLength: 1, maxLength: 100 },
    kind: { type: 'string', enum: ['mute', 'ban'] },
    roomId: { type: 'string', minLength: 1, maxLength: 100 },
  },
  required: ['userId', 'kind'],
  additionalProperties: false,
};

async function sanction(
  ctx: Ctx,
  actor: string,
  target: { userId: string; kind: 'mute' | 'ban'; roomId?: string; durationSeconds?: number; reason: string },
  extra: { messageId?: string; reportId?: string } = {},
) {
  const { userId, kind, roomId, durationSeconds, reason } = target;
  if (kind === 'mute') await ctx.users.mute(userId, { roomId, durationSeconds, reason });
  else await ctx.users.ban(userId, { durationSeconds, reason });
  const span = durationSeconds ? ` for ${durationSeconds}s` : '';
  return audit(ctx, {
    actor,
    action: kind === 'mute' ? 'user.muted' : 'user.banned',
    userId,
    roomId,
    ...extra,
    reason: `${reason}${span}`,
  });
}

export default definePlugin<ModerationSettings>({
  id: 'moderation',
  version: '1.0.0',
  apiVersion: '^1.0.0',
  displayName: 'Moderation',
  description:
    'Word/regex filter (block or mask, per-room overrides), cluster-wide flood control, link policy, mention limit, reports queue, mute/ban, audit log.',
  priority: 10,
  permissions: [
    'messages.read',
    'messages.delete',
    'users.read',
    'users.moderate',
    'kv',
    'rate-limit',
    'reports.publish',
    'http.routes',
  ],
  settings: { schema: settingsSchema, defaults: defaultSettings },
  hooks: {
    'message.beforeSend': beforeSend,
    'message.beforeEdit': ({ user, message, text }, ctx) => checkText(user, message.roomId, text, ctx),
  },
  routes: [
    {
      method: 'POST',
      path: '/reports',
      role: 'member',
      body: reportBody,
      async handler({ user, body }, ctx) {
        const { messageId, reason } = body as { messageId: string; reason: string };
        const message = await ctx.messages.get(messageId, { readableBy: user });
        if (!message) throw new PluginError('not_found', 'message not found', 'messageId');
        const report: StoredReport = {
          id: randomUUID(),
          messageId,
          roomId: message.roomId,
          authorId: message.authorId,
          reporterId: user.id,
          reason,
          createdAt: new Date().toISOString(),
          status: 'open',
        };
        await ctx.kv.set(`report:${report.id}`, report);
        await audit(ctx, {
          actor: user.id,
          action: 'report.created',
          messageId,
          roomId: message.roomId,
          userId: message.authorId,
          reportId: report.id,
          reason,
        });
        const { authorId: _a, status: _s, ...published } = report;
        await ctx.reports.published(published);
        return report;
      },
    },
    {
      method: 'GET',
      path: '/reports',
      role: 'moderator',
      async handler({ query }, ctx) {
        const status = query.status === 'resolved' || query.status === 'all' ? query.status : 'open';
        const all = (await ctx.kv.list<StoredReport>('report:', { limit: 1000 })).map((e) => e.value);
        const reports = all
          .filter((r) => status === 'all' || r.status === status)
          .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
        return { reports };
      },
    },
    {
      method: 'POST',
      path: '/reports/:id/resolve',
      role: 'moderator',
      body: resolveBody,
      async handler({ user, params, body }, ctx) {
        const { action, note, durationSeconds } = body as {
          action: ResolveAction;
          note: string;
          durationSeconds?: number;
        };
        const key = `report:${params.id}`;
        const report = await ctx.kv.get<StoredReport>(key);
        if (!report) throw new PluginError('not_found', 'report not found', 'id');
        if (report.status === 'resolved') throw new PluginError('conflict', 'report already resolved', 'id');
        if (action === 'delete') {
          await ctx.messages.delete(report.messageId, note);
          await audit(ctx, {
            actor: user.id,
            action: 'message.deleted',
            messageId: report.messageId,
            roomId: report.roomId,
            userId: report.authorId,
            reportId: report.id,
            reason: note,
          });
        } else if (action === 'mute' || action === 'ban') {
          await sanction(
            ctx,
            user.id,
            {
              userId: report.authorId,
              kind: action,
              roomId: action === 'mute' ? report.roomId : undefined,
              durationSeconds,
              reason: note,
            },
            { reportId: report.id },
          );
        }
        const resolved: StoredReport = {
          ...report,
          status: 'resolved',
          resolution: { by: user.id, action, note, at: new Date().toISOString() },
        };
        await ctx.kv.set(key, resolved);
        await audit(ctx, {
          actor: user.id,
          action: 'report.resolved',
          reportId: report.id,
          messageId: report.messageId,
          roomId: report.roomId,
          reason: `${action}: ${note}`,
        });
        return resolved;
      },
    },
    {
      method: 'POST',
      path: '/sanctions',
      role: 'moderator',
      body: sanctionBody,
      async handler({ user, body }, ctx) {
        const target = body as {
          userId: string;
          kind: 'mute' | 'ban';
          roomId?: string;
          durationSeconds?: number;
          reason: string;
        };
        if (target.userId === user.id)
          throw new PluginError('validation_failed', 'you cannot sanction yourself', 'userId');
        if (!(await ctx.users.get(target.userId)))
          throw new PluginError('not_found', 'user not found', 'userId');
        return sanction(ctx, user.id, target);
      },
    },
    {
      method: 'POST',
      path: '/sanctions/lift',
      role: 'moderator',
      body: liftBody,
      async handler({ user, body }, ctx) {
        const { userId, kind, roomId } = body as { userId: string; kind: 'mute' | 'ban'; roomId?: string };
        if (kind === 'mute') await ctx.users.unmute(userId, { roomId });
        else await ctx.users.unban(userId);
        return audit(ctx, {
          actor: user.id,
          action: kind === 'mute' ? 'user.unmuted' : 'user.unbanned',
          userId,
          roomId,
          reason: 'lifted',
        });
      },
    },
    {
      method: 'GET',
      path: '/sanctions/:userId',
      role: 'moderator',
      async handler({ params }, ctx) {
        return { sanctions: await ctx.users.sanctions(params.userId) };
      },
    },
    {
      method: 'GET',
      path: '/audit',
      role: 'moderator',
      async handler({ query }, ctx) {
        const limit = Math.min(Math.max(Number(query.limit) || 100, 1), 1000);
        return { entries: await auditLog(ctx, limit) };
      },
    },
  ],
});
