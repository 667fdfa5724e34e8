import { HttpTransport } from './http';

export type PluginStatus = 'enabled' | 'disabled' | 'refused' | 'failed';

/** A plugin as the admin API shows it (GET /api/admin/plugins). */
export interface PluginSummary {
  id: string;
  /** The directory under PLUGINS_DIR or the npm package it was loaded from. */
  source: string;
  status: PluginStatus;
  /** Why it was refused or failed, or why saved settings were ignored. */
  reason?: string;
  version?: string;
  apiVersion?: string;
  displayName?: string;
  description?: string;
  priority?: number;
  permissions: string[];
  hooks: string[];
  /** e.g. `POST /api/plugins/moderation/reports` */
  routes: string[];
  /** Since this node started. */
  counters: { calls: number; rejections: number; errors: number; timeouts: number };
  recentFailures: Array<{
    hook: string;
    kind: 'error' | 'timeout' | 'invalid-result';
    message: string;
    at: string;
  }>;
}

/** A plugin's settings: render a form from `schema` (JSON Schema). */
export interface PluginSettingsView<S = Record<string, unknown>> {
  schema: object | null;
  defaults: S;
  values: S;
}

/** /api/admin/plugins (admin role) and the routes plugins serve under /api/plugins/<id>. */
export class PluginsApi {
  constructor(private readonly http: HttpTransport) {}

  async list(): Promise<PluginSummary[]> {
    return (await this.http.request<{ plugins: PluginSummary[] }>('GET', '/admin/plugins')).plugins;
  }

  get(id: string): Promise<PluginSummary> {
    return this.http.request('GET', `/admin/plugins/${encodeURIComponent(id)}`);
  }

  enable(id: string): Promise<PluginSummary> {
    return this.http.request('POST', `/admin/plugins/${encodeURIComponent(id)}/enable`);
  }

  disable(id: string): Promise<PluginSummary> {
    return this.http.request('POST', `/admin/plugins/${encodeURIComponent(id)}/disable`);
  }

  settings<S = Record<string, unknown>>(id: string): Promise<PluginSettingsView<S>> {
    return this.http.request('GET', `/admin/plugins/${encodeURIComponent(id)}/settings`);
  }

  /** Replaces the settings (keys left out take their defaults); a 400 names the failing field. */
  updateSettings<S = Record<string, unknown>>(
    id: string,
    settings: Partial<S>,
  ): Promise<PluginSettingsView<S>> {
    return this.http.request('PUT', `/admin/plugins/${encodeURIComponent(id)}/settings`, {
      body: { settings },
    });
  }

  /** Calls a route a plugin declares, e.g. `call('moderation', 'POST', '/reports', { messageId, reason })`. */
  call<T = unknown>(
    id: string,
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    body?: unknown,
    query?: Record<string, string>,
  ): Promise<T> {
    return this.http.request(method, `/plugins/${encodeURIComponent(id)}${path}`, { body, query });
  }
}
