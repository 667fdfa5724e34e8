import { Injectable } from '@nestjs/common';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { AppConfig } from '../config/app-config';

/** A module found at boot, before its manifest is checked. */
export interface PluginCandidate {
  /** A directory under PLUGINS_DIR or an npm package name. */
  source: string;
  /** The directory or package name, used as the id when the module cannot be loaded at all. */
  fallbackId: string;
  exported?: unknown;
  loadError?: string;
}

function pickExport(mod: unknown): unknown {
  if (typeof mod === 'object' && mod !== null) {
    const record = mod as Record<string, unknown>;
    return record.default ?? record.plugin ?? mod;
  }
  return mod;
}

/**
 * Finds plugins: every directory in PLUGINS_DIR whose package.json has `"palaver": { "plugin": true }`,
 * then every npm package named in PLUGINS (resolved from the working directory). Plugins are loaded with
 * require(), so a directory plugin must be built (its package.json `main`).
 */
@Injectable()
export class PluginLoader {
  /** Resolves npm package names from the working directory (where the install's node_modules is). */
  private readonly loadModule = createRequire(join(process.cwd(), 'package.json'));

  constructor(private readonly config: AppConfig) {}

  discover(): PluginCandidate[] {
    return [...this.fromDirectory(), ...this.fromPackages()];
  }

  private fromDirectory(): PluginCandidate[] {
    const dir = resolve(this.config.PLUGINS_DIR);
    if (!existsSync(dir)) return [];
    const candidates: PluginCandidate[] = [];
    for (const name of readdirSync(dir).sort()) {
      const pluginDir = join(dir, name);
      const manifestPath = join(pluginDir, 'package.json');
      if (!statSync(pluginDir).isDirectory() || !existsSync(manifestPath)) continue;
      let pkg: { palaver?: { plugin?: unknown }; main?: unknown };
      try {
        pkg = JSON.parse(readFileSync(manifestPath, 'utf8'));
      } catch (err) {
        candidates.push({
          source: pluginDir,
          fallbackId: name,
          loadError: `bad package.json: ${(err as Error).message}`,
        });
        continue;
      }
      if (pkg.palaver?.plugin !== true) continue;
      candidates.push(this.load(pluginDir, name, () => this.loadModule(pluginDir)));
    }
    return candidates;
  }

  private fromPackages(): PluginCandidate[] {
    return this.config.PLUGINS.map((name) => this.load(name, name, () => this.loadModule(name)));
  }

  private load(source: string, fallbackId: string, importer: () => unknown): PluginCandidate {
    try {
      return { source, fallbackId, exported: pickExport(importer()) };
    } catch (err) {
      const message = (err as Error).message.split('\n')[0];
      return { source, fallbackId, loadError: `cannot load: ${message}` };
    }
  }
}
