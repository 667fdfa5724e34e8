import type { JSONSchemaType } from 'ajv';
import type { HookName, HookPayloads, HookResults, PluginUser } from './hooks';
import type { Permission, PluginContext } from './host-api';

/** The Plugin API version this SDK describes; plugins declare a semver range of it (`apiVersion`). */
export const PLUGIN_API_VERSION = '1.1.0';

export type HookHandler<K extends HookName, S> = (
  payload: HookPayloads[K],
  ctx: PluginContext<S>,
) => HookResults[K] | Promise<HookResults[K]>;

/** A hook given as an object to override its priority, time budget or failure mode. */
export interface HookRegistration<K extends HookName, S> {
  handler: HookHandler<K, S>;
  /** Lower runs first; defaults to the plugin's priority. */
  priority?: number;
  /** At most the hook type's budget (see HOOK_SPECS). */
  timeoutMs?: number;
  failure?: 'open' | 'closed';
}

export type PluginHooks<S> = {
  [K in HookName]?: HookHandler<K, S> | HookRegistration<K, S>;
};

export interface PluginRouteRequest {
  user: PluginUser;
  params: Record<string, string>;
  query: Record<string, string>;
  body: unknown;
}

/**
 * An HTTP route served at `/api/plugins/<plugin id><path>` for authenticated users with at least `role`.
 * Needs the `http.routes` permission. A `body` schema is checked before the handler runs.
 */
export interface PluginRoute<S> {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Express-style path, e.g. `/reports/:id/resolve`. */
  path: string;
  role: 'member' | 'moderator' | 'admin';
  body?: object;
  handler(request: PluginRouteRequest, ctx: PluginContext<S>): unknown;
}

/** A JSON Schema that TypeScript checks against the settings type S (Ajv's JSONSchemaType). */
export type SettingsSchema<S> = JSONSchemaType<S>;

export interface PluginSettings<S> {
  /** JSON Schema of the settings object; admins' changes are validated against it. */
  schema: SettingsSchema<S>;
  defaults: S;
}

export interface PluginDefinition<S = Record<string, never>> {
  /** Lowercase letters, digits and dashes; unique per install. */
  id: string;
  /** The plugin's own version (semver). */
  version: string;
  /** The range of Plugin API versions it works with, e.g. `^1.0.0`. */
  apiVersion: string;
  displayName?: string;
  description?: string;
  /** Lower runs first (default 100); ties run in id order. */
  priority?: number;
  permissions: Permission[];
  /** Enabled at first boot unless this is false; afterwards the admin's choice is kept. */
  enabledByDefault?: boolean;
  settings?: PluginSettings<S>;
  hooks?: PluginHooks<S>;
  routes?: PluginRoute<S>[];
}

/** Declares a plugin. The identity at run time; it exists so TypeScript checks hooks, settings and routes. */
export function definePlugin<S = Record<string, never>>(
  definition: PluginDefinition<S>,
): PluginDefinition<S> {
  return definition;
}
