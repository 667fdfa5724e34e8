import type {
  HookName,
  PluginContext,
  PluginDefinition,
  PluginManifest,
  SettingsValidator,
} from '@palaver/plugin-sdk';

import type { PluginStatus } from '@palaver/client';

export type { PluginStatus };

export interface PluginFailureRecord {
  hook: string;
  kind: 'error' | 'timeout' | 'invalid-result';
  message: string;
  at: string;
}

/** Per-plugin figures shown by the admin API (since this node started). */
export interface PluginCounters {
  calls: number;
  rejections: number;
  errors: number;
  timeouts: number;
}

/** A plugin as the host holds it: what was loaded, its state and its figures. */
export interface LoadedPlugin {
  id: string;
  /** Where it came from: a directory under PLUGINS_DIR or an npm package name. */
  source: string;
  status: PluginStatus;
  /** Why it is refused or failed (one line). */
  reason?: string;
  definition?: PluginDefinition<unknown>;
  manifest?: PluginManifest;
  validateSettings?: SettingsValidator;
  settings: Record<string, unknown>;
  context?: PluginContext<unknown>;
  counters: PluginCounters;
  /** The last few failures, newest first. */
  recentFailures: PluginFailureRecord[];
}

/** One hook of one enabled plugin, ready to run, in run order. Payload types are checked at the runner. */
export interface BoundHook {
  plugin: LoadedPlugin;
  hook: HookName;
  handler: (payload: object, ctx: PluginContext<unknown>) => unknown;
  priority: number;
  timeoutMs: number;
  failure: 'open' | 'closed';
}

export const RECENT_FAILURES_KEPT = 20;

export function newCounters(): PluginCounters {
  return { calls: 0, rejections: 0, errors: 0, timeouts: 0 };
}
