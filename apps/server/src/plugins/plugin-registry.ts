import { Injectable } from '@nestjs/common';
import { HOOK_SPECS, type HookName, type HookRegistration } from '@palaver/plugin-sdk';
import type { BoundHook, LoadedPlugin } from './loaded-plugin';

/**
 * The plugins this node knows about, and for each hook the enabled handlers in run order:
 * ascending priority (the hook's own, else the plugin's), then plugin id.
 */
@Injectable()
export class PluginRegistry {
  private readonly plugins = new Map<string, LoadedPlugin>();
  private readonly ordered = new Map<HookName, BoundHook[]>();

  add(plugin: LoadedPlugin): void {
    this.plugins.set(plugin.id, plugin);
    this.ordered.clear();
  }

  get(id: string): LoadedPlugin | undefined {
    return this.plugins.get(id);
  }

  all(): LoadedPlugin[] {
    return [...this.plugins.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  /** Call after changing a plugin's status so hook order is rebuilt. */
  changed(): void {
    this.ordered.clear();
  }

  hooksFor(hook: HookName): BoundHook[] {
    let bound = this.ordered.get(hook);
    if (!bound) {
      bound = this.bind(hook);
      this.ordered.set(hook, bound);
    }
    return bound;
  }

  private bind(hook: HookName): BoundHook[] {
    const spec = HOOK_SPECS[hook];
    const bound: BoundHook[] = [];
    for (const plugin of this.plugins.values()) {
      if (plugin.status !== 'enabled' || !plugin.definition) continue;
      const entry = plugin.definition.hooks?.[hook];
      if (!entry) continue;
      const registration = (typeof entry === 'function' ? { handler: entry } : entry) as HookRegistration<
        HookName,
        unknown
      >;
      bound.push({
        plugin,
        hook,
        handler: registration.handler as BoundHook['handler'],
        priority: registration.priority ?? plugin.manifest?.priority ?? 100,
        timeoutMs: Math.min(registration.timeoutMs ?? spec.timeoutMs, spec.timeoutMs),
        failure: registration.failure ?? spec.failure,
      });
    }
    return bound.sort((a, b) => a.priority - b.priority || a.plugin.id.localeCompare(b.plugin.id));
  }
}
