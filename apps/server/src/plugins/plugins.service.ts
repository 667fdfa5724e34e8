import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import {
  checkPlugin,
  compileSettingsSchema,
  PLUGIN_API_VERSION,
  type PluginDefinition,
  type PluginReport,
} from '@palaver/plugin-sdk';
import type { PluginSettingsView, PluginSummary } from '@palaver/client';
import { isDeepStrictEqual } from 'node:util';
import type { AuthUser } from '../auth/auth-user';
import { ClusterBus } from '../cluster/cluster-bus';
import { NotFoundError, ValidationFailedError } from '../common/domain-error';
import { HookRunner } from './hook-runner';
import { newCounters, type LoadedPlugin } from './loaded-plugin';
import { PluginContextFactory } from './plugin-context.factory';
import { PluginLoader, type PluginCandidate } from './plugin-loader';
import { PluginRegistry } from './plugin-registry';
import { PluginsRepository, type PluginStateRecord } from './plugins.repository';
import { SanctionsService } from './sanctions.service';

declare module '../cluster/cluster-bus' {
  interface BusChannels {
    /** An admin changed a plugin's state or settings; every node reloads it from the database. */
    'plugins.changed': { pluginId: string };
  }
}

// The admin API's shapes are the wire types the client SDK declares.
export type { PluginSettingsView, PluginSummary };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Loads plugins at boot and applies admins' decisions (enable/disable, settings) at run time. The database
 * is the source of truth: a change is saved, then announced on the cluster bus, and every node (this one
 * included) reloads that plugin's state, so all nodes converge without a restart.
 */
@Injectable()
export class PluginsService implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger('Plugins');
  private unsubscribe?: () => void;

  constructor(
    private readonly loader: PluginLoader,
    private readonly registry: PluginRegistry,
    private readonly repository: PluginsRepository,
    private readonly contexts: PluginContextFactory,
    private readonly runner: HookRunner,
    private readonly sanctions: SanctionsService,
    private readonly bus: ClusterBus,
  ) {}

  async onModuleInit(): Promise<void> {
    this.unsubscribe = this.bus.subscribe('plugins.changed', ({ pluginId }) => {
      this.reload(pluginId).catch((err: Error) =>
        this.log.error(`reloading plugin ${pluginId}: ${err.message}`),
      );
    });
    await this.sanctions.load();
    const states = new Map((await this.repository.findStates()).map((s) => [s.id, s]));
    for (const candidate of this.loader.discover()) {
      const plugin = this.admit(candidate);
      if (plugin.definition) this.applyState(plugin, states.get(plugin.id));
      this.registry.add(plugin);
      const detail = plugin.reason ? `: ${plugin.reason}` : '';
      const line = `plugin ${plugin.id} ${plugin.status}${detail} (${plugin.source})`;
      if (plugin.status === 'refused' || plugin.status === 'failed') this.log.warn(line);
      else this.log.log(line);
    }
    this.registry.changed();
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }

  /** Checks a candidate's manifest; a refused or broken plugin is kept (for the admin API) but never runs. */
  private admit(candidate: PluginCandidate): LoadedPlugin {
    const base = {
      source: candidate.source,
      settings: {},
      counters: newCounters(),
      recentFailures: [],
    };
    if (candidate.loadError !== undefined) {
      return { ...base, id: candidate.fallbackId, status: 'failed', reason: candidate.loadError };
    }
    const check = checkPlugin(candidate.exported, PLUGIN_API_VERSION);
    const claimedId = (candidate.exported as { id?: unknown } | undefined)?.id;
    const id = typeof claimedId === 'string' && claimedId.length > 0 ? claimedId : candidate.fallbackId;
    if (!check.ok) return { ...base, id, status: 'refused', reason: check.reason };
    const existing = this.registry.get(id);
    if (existing) {
      return {
        ...base,
        id: `${id}@${candidate.source}`,
        status: 'refused',
        reason: `duplicate id ${id} (also at ${existing.source})`,
      };
    }
    const definition = candidate.exported as PluginDefinition<unknown>;
    const plugin: LoadedPlugin = {
      ...base,
      id,
      status: 'disabled',
      definition,
      manifest: check.manifest,
      validateSettings: definition.settings ? compileSettingsSchema(definition.settings.schema) : undefined,
      settings: this.defaults(definition),
    };
    plugin.context = this.contexts.create(plugin, (report: PluginReport) =>
      this.runner.notify('report.created', { report }),
    );
    return plugin;
  }

  private defaults(definition: PluginDefinition<unknown>): Record<string, unknown> {
    return structuredClone((definition.settings?.defaults ?? {}) as Record<string, unknown>);
  }

  /** Applies a saved state (or the first-boot default) to a loaded plugin. */
  private applyState(plugin: LoadedPlugin, state: PluginStateRecord | undefined): void {
    const definition = plugin.definition!;
    const enabled = state ? state.enabled : (plugin.manifest?.enabledByDefault ?? true);
    plugin.status = enabled ? 'enabled' : 'disabled';
    plugin.reason = undefined;
    const merged = { ...this.defaults(definition), ...(state?.settings ?? {}) };
    const check = plugin.validateSettings
      ? plugin.validateSettings(merged)
      : { ok: true as const, value: merged };
    if (check.ok) {
      plugin.settings = check.value as Record<string, unknown>;
    } else {
      // Saved settings an upgraded plugin no longer accepts: run on defaults and say why.
      plugin.settings = this.defaults(definition);
      plugin.reason = `saved settings ignored: ${check.field} ${check.message}`;
    }
  }

  private async reload(pluginId: string): Promise<void> {
    const plugin = this.registry.get(pluginId);
    if (!plugin?.definition) return;
    this.applyState(plugin, (await this.repository.findState(pluginId)) ?? undefined);
    this.registry.changed();
    this.log.log(`plugin ${pluginId} reloaded: ${plugin.status}`);
  }

  list(): PluginSummary[] {
    return this.registry.all().map((plugin) => this.summary(plugin));
  }

  get(pluginId: string): PluginSummary {
    return this.summary(this.require(pluginId));
  }

  private summary(plugin: LoadedPlugin): PluginSummary {
    const manifest = plugin.manifest;
    return {
      id: plugin.id,
      source: plugin.source,
      status: plugin.status,
      ...(plugin.reason ? { reason: plugin.reason } : {}),
      version: manifest?.version,
      apiVersion: manifest?.apiVersion,
      displayName: manifest?.displayName,
      description: manifest?.description,
      priority: manifest?.priority,
      permissions: manifest?.permissions ?? [],
      hooks: manifest?.hooks.map((h) => h.name) ?? [],
      routes: manifest?.routes.map((r) => `${r.method} /api/plugins/${plugin.id}${r.path}`) ?? [],
      counters: { ...plugin.counters },
      recentFailures: [...plugin.recentFailures],
    };
  }

  /** A plugin that loaded (refused and failed ones cannot be enabled or configured). */
  require(pluginId: string): LoadedPlugin {
    const plugin = this.registry.get(pluginId);
    if (!plugin) throw new NotFoundError('plugin', 'id');
    if (!plugin.definition) {
      throw new ValidationFailedError(`plugin ${pluginId} is ${plugin.status}: ${plugin.reason ?? ''}`, 'id');
    }
    return plugin;
  }

  async setEnabled(admin: AuthUser, pluginId: string, enabled: boolean): Promise<PluginSummary> {
    const plugin = this.require(pluginId);
    const current = await this.repository.findState(pluginId);
    await this.repository.saveState({
      id: pluginId,
      enabled,
      settings: current?.settings ?? null,
      updatedAt: new Date(),
      updatedBy: admin.id,
    });
    await this.announce(pluginId);
    return this.summary(plugin);
  }

  settings(pluginId: string): PluginSettingsView {
    const plugin = this.require(pluginId);
    return {
      schema: (plugin.definition!.settings?.schema as object | undefined) ?? null,
      defaults: this.defaults(plugin.definition!),
      values: structuredClone(plugin.settings),
    };
  }

  /**
   * Replaces the settings: keys left out take their defaults. Validated against the plugin's JSON Schema;
   * only the keys that differ from the defaults are stored.
   */
  async updateSettings(admin: AuthUser, pluginId: string, values: unknown): Promise<PluginSettingsView> {
    const plugin = this.require(pluginId);
    if (!isRecord(values)) throw new ValidationFailedError('settings must be an object', 'settings');
    if (!plugin.validateSettings)
      throw new ValidationFailedError(`plugin ${pluginId} has no settings`, 'settings');
    const defaults = this.defaults(plugin.definition!);
    const check = plugin.validateSettings({ ...defaults, ...values });
    if (!check.ok) {
      const field = check.field ? `settings.${check.field}` : 'settings';
      throw new ValidationFailedError(`${field} ${check.message}`, field);
    }
    const valid = check.value as Record<string, unknown>;
    const difference = Object.fromEntries(
      Object.entries(valid).filter(([key, value]) => !isDeepStrictEqual(value, defaults[key])),
    );
    const current = await this.repository.findState(pluginId);
    await this.repository.saveState({
      id: pluginId,
      enabled: current ? current.enabled : plugin.status === 'enabled',
      settings: difference,
      updatedAt: new Date(),
      updatedBy: admin.id,
    });
    await this.announce(pluginId);
    return this.settings(pluginId);
  }

  /** Applies locally first (so the caller sees the change at once), then tells the other nodes. */
  private async announce(pluginId: string): Promise<void> {
    await this.reload(pluginId);
    await this.bus.publish('plugins.changed', { pluginId });
  }
}
