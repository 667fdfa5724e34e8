import { Injectable, Logger, Optional } from '@nestjs/common';
import { HOOK_SPECS, type HookName, type HookPayloads, type RejectDecision } from '@palaver/plugin-sdk';
import {
  DomainError,
  ForbiddenError,
  PayloadTooLargeError,
  RateLimitedError,
  RejectedError,
} from '../common/domain-error';
import { RECENT_FAILURES_KEPT, type BoundHook, type PluginFailureRecord } from './loaded-plugin';
import { PluginMetrics } from './plugin-metrics';
import { PluginRegistry } from './plugin-registry';
import { SanctionsService } from './sanctions.service';

/** Gate hooks: those that run before an action and may stop or change it. */
export type GateHookName =
  | 'message.beforeSend'
  | 'message.beforeEdit'
  | 'message.beforeDelete'
  | 'room.beforeCreate'
  | 'room.beforeJoin'
  | 'user.beforeLogin'
  | 'upload.beforeStart'
  | 'upload.onChunk';
export type NotifyHookName = Exclude<HookName, GateHookName>;

class HookTimeout extends Error {}

type Outcome =
  | { kind: 'allow' }
  | { kind: 'modify'; changes: Record<string, unknown> }
  | { kind: 'reject'; decision: RejectDecision }
  | { kind: 'failed'; failure: PluginFailureRecord };

/**
 * Runs plugin hooks in the documented order (ascending priority, then plugin id), each within its time
 * budget. A hook that throws, overruns or returns something malformed is logged, counted and recorded for
 * the admin API, then skipped (fail open) or treated as a rejection (fail closed) as its hook type (or its
 * registration) declares. Plugins run in-process: an overrunning hook is no longer waited for, but the
 * promise it returned is left to settle on its own (see docs/plugins.md, "Isolation").
 */
@Injectable()
export class HookRunner {
  private readonly log = new Logger('Plugins');

  constructor(
    private readonly registry: PluginRegistry,
    private readonly metrics: PluginMetrics,
    @Optional() private readonly sanctions?: SanctionsService,
  ) {}

  /** A runner with no plugins (every gate allows), the default where no plugin host is wired (unit tests). */
  static withoutPlugins(): HookRunner {
    return new HookRunner(new PluginRegistry(), new PluginMetrics());
  }

  /** True when at least one enabled plugin implements the hook (lets callers skip building payloads). */
  has(hook: HookName): boolean {
    return this.registry.hooksFor(hook).length > 0;
  }

  /**
   * Runs a gate hook. Returns the payload as modified by the plugins (the same object when nothing
   * changed); throws the DomainError matching the first rejection.
   */
  async gate<K extends GateHookName>(hook: K, payload: HookPayloads[K]): Promise<HookPayloads[K]> {
    this.checkSanctions(hook, payload);
    const bound = this.registry.hooksFor(hook);
    let current = payload;
    for (const entry of bound) {
      const outcome = await this.call(entry, current);
      if (outcome.kind === 'modify') {
        current = { ...current, ...outcome.changes };
      } else if (outcome.kind === 'reject') {
        throw rejectionError(outcome.decision);
      } else if (outcome.kind === 'failed' && entry.failure === 'closed') {
        throw new RejectedError(`refused because plugin ${entry.plugin.id} could not check it`);
      }
    }
    return current;
  }

  /** Mutes and bans issued through the host API hold even while the plugin that issued them is off. */
  private checkSanctions(hook: GateHookName, payload: HookPayloads[GateHookName]): void {
    if (!this.sanctions) return;
    if (hook === 'message.beforeSend') {
      const { user, roomId } = payload as HookPayloads['message.beforeSend'];
      this.sanctions.assertMayPost(user.id, roomId);
    } else if (hook === 'user.beforeLogin') {
      this.sanctions.assertNotBanned((payload as HookPayloads['user.beforeLogin']).userId);
    } else if (hook === 'room.beforeJoin' || hook === 'upload.beforeStart' || hook === 'message.beforeEdit') {
      this.sanctions.assertNotBanned((payload as { user: { id: string } }).user.id);
    }
  }

  /** Runs a notify hook on every enabled plugin, in order; never throws. */
  async notify<K extends NotifyHookName>(hook: K, payload: HookPayloads[K]): Promise<void> {
    for (const entry of this.registry.hooksFor(hook)) {
      await this.call(entry, payload);
    }
  }

  private async call(entry: BoundHook, payload: object): Promise<Outcome> {
    const { plugin, hook } = entry;
    plugin.counters.calls += 1;
    const started = process.hrtime.bigint();
    let timer: NodeJS.Timeout | undefined;
    try {
      const result = await Promise.race([
        // A shallow copy: a plugin that mutates its payload does not change what later plugins see.
        Promise.resolve().then(() => entry.handler({ ...payload }, plugin.context!)),
        new Promise<never>((_, fail) => {
          timer = setTimeout(() => fail(new HookTimeout()), entry.timeoutMs);
        }),
      ]);
      const outcome = interpret(result, payload, entry);
      if (outcome.kind === 'failed') return this.failed(entry, outcome.failure);
      if (outcome.kind === 'reject') plugin.counters.rejections += 1;
      this.metrics.hookCalls.inc({ plugin: plugin.id, hook, outcome: outcome.kind });
      return outcome;
    } catch (err) {
      const timedOut = err instanceof HookTimeout;
      return this.failed(entry, {
        hook,
        kind: timedOut ? 'timeout' : 'error',
        message: timedOut ? `exceeded its ${entry.timeoutMs} ms budget` : errorMessage(err),
        at: new Date().toISOString(),
      });
    } finally {
      clearTimeout(timer);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      this.metrics.hookDuration.observe({ plugin: plugin.id, hook }, seconds);
    }
  }

  private failed(entry: BoundHook, failure: PluginFailureRecord): Outcome {
    const { plugin } = entry;
    if (failure.kind === 'timeout') plugin.counters.timeouts += 1;
    else plugin.counters.errors += 1;
    plugin.recentFailures.unshift(failure);
    plugin.recentFailures.length = Math.min(plugin.recentFailures.length, RECENT_FAILURES_KEPT);
    this.metrics.hookCalls.inc({ plugin: plugin.id, hook: entry.hook, outcome: failure.kind });
    this.log.warn(
      `plugin ${plugin.id} ${entry.hook} ${failure.kind}: ${failure.message} (fail ${entry.failure})`,
    );
    return { kind: 'failed', failure };
  }
}

function errorMessage(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/** Turns what a hook returned into an outcome; anything malformed counts as a failure of the plugin. */
function interpret(result: unknown, payload: object, entry: BoundHook): Outcome {
  const invalid = (message: string): Outcome => ({
    kind: 'failed',
    failure: { hook: entry.hook, kind: 'invalid-result', message, at: new Date().toISOString() },
  });
  if (result === undefined || result === null) return { kind: 'allow' };
  if (typeof result !== 'object') return invalid('returned something other than a decision');
  const decision = result as { action?: unknown; reason?: unknown; changes?: unknown; code?: unknown };
  switch (decision.action) {
    case 'allow':
      return { kind: 'allow' };
    case 'reject': {
      // After-the-fact hooks cannot undo anything; a rejection there is just ignored.
      if (HOOK_SPECS[entry.hook].kind !== 'gate') return { kind: 'allow' };
      if (typeof decision.reason !== 'string' || decision.reason.length === 0) {
        return invalid('rejected without a reason');
      }
      return { kind: 'reject', decision: result as RejectDecision };
    }
    case 'modify': {
      if (!HOOK_SPECS[entry.hook].modifies) return invalid(`${entry.hook} cannot modify`);
      const changes = decision.changes;
      if (typeof changes !== 'object' || changes === null) return invalid('modify without changes');
      for (const [key, value] of Object.entries(changes)) {
        const before = (payload as Record<string, unknown>)[key];
        if (!MODIFIABLE_FIELDS.has(key) || typeof value !== typeof before) {
          return invalid(`cannot change '${key}'`);
        }
      }
      return { kind: 'modify', changes: changes as Record<string, unknown> };
    }
    default:
      return invalid('returned an unknown action');
  }
}

/** The only payload fields a modifying hook may change. */
const MODIFIABLE_FIELDS = new Set(['text']);

function rejectionError(decision: RejectDecision): DomainError {
  const reason = decision.reason.slice(0, 500);
  switch (decision.code) {
    case 'payload_too_large':
      return new PayloadTooLargeError(reason);
    case 'rate_limited':
      return new RateLimitedError(reason, Math.max(0, Math.round(decision.retryAfterMs ?? 1000)));
    case 'forbidden':
      return new ForbiddenError(reason);
    default:
      return new RejectedError(reason);
  }
}
