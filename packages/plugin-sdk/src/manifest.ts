import {
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
  ValidationError,
  validateSync,
} from 'class-validator';
import semver from 'semver';
import { PLUGIN_API_VERSION, type PluginDefinition } from './define-plugin';
import { HOOK_NAMES, MAX_HOOK_TIMEOUT_MS } from './hooks';
import { PERMISSIONS } from './host-api';
import { compileSettingsSchema } from './settings';

class RouteManifest {
  @IsIn(['GET', 'POST', 'PUT', 'DELETE']) method!: string;
  @Matches(/^(\/[a-z0-9_-]+|\/:[a-zA-Z][a-zA-Z0-9]*)+$/, {
    message: 'path must look like /reports or /reports/:id/resolve',
  })
  path!: string;
  @IsIn(['member', 'moderator', 'admin']) role!: string;
}

class HookManifest {
  @IsIn(HOOK_NAMES, { message: `hook must be one of ${HOOK_NAMES.join(', ')}` }) name!: string;
  @IsOptional() @IsInt() @Min(0) @Max(1000) priority?: number;
  @IsOptional() @IsInt() @Min(1) @Max(MAX_HOOK_TIMEOUT_MS) timeoutMs?: number;
  @IsOptional() @IsIn(['open', 'closed']) failure?: string;
}

/** The declarative part of a plugin definition, as checked at load time. */
export class PluginManifest {
  @Matches(/^[a-z][a-z0-9-]{1,48}$/, { message: 'id must be 2-49 of a-z 0-9 - starting with a letter' })
  id!: string;
  @IsString()
  @Matches(/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/, { message: 'version must be semver (1.2.3)' })
  version!: string;
  @IsString() @MaxLength(100) apiVersion!: string;
  @IsOptional() @IsString() @MaxLength(100) displayName?: string;
  @IsOptional() @IsString() @MaxLength(1000) description?: string;
  @IsInt() @Min(0) @Max(1000) priority = 100;
  @IsArray()
  @IsIn(PERMISSIONS, { each: true, message: `each permission must be one of ${PERMISSIONS.join(', ')}` })
  permissions!: string[];
  @IsBoolean() enabledByDefault = true;
  @IsArray() @ValidateNested({ each: true }) hooks: HookManifest[] = [];
  @IsArray() @ValidateNested({ each: true }) routes: RouteManifest[] = [];
}

export type ManifestCheck =
  { ok: true; manifest: PluginManifest } | { ok: false; field: string; reason: string };

function firstViolation(
  errors: ValidationError[],
  parent = '',
): { field: string; message: string } | undefined {
  for (const error of errors) {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const messages = Object.values(error.constraints ?? {});
    if (messages.length > 0) return { field, message: messages[0] };
    const nested = firstViolation(error.children ?? [], field);
    if (nested) return nested;
  }
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Checks what a plugin module exported: the manifest fields, the apiVersion range against the host's Plugin
 * API version, hook and route shapes, and that the settings defaults satisfy the settings schema.
 * Returns the first problem as a one-line reason.
 */
export function checkPlugin(candidate: unknown, hostApiVersion = PLUGIN_API_VERSION): ManifestCheck {
  if (!isObject(candidate))
    return { ok: false, field: '', reason: 'the module does not export a plugin object' };
  const definition = candidate as unknown as PluginDefinition<unknown>;
  const hooks = isObject(definition.hooks) ? definition.hooks : {};
  const manifest = Object.assign(new PluginManifest(), {
    id: definition.id,
    version: definition.version,
    apiVersion: definition.apiVersion,
    displayName: definition.displayName,
    description: definition.description,
    priority: definition.priority ?? 100,
    permissions: definition.permissions,
    enabledByDefault: definition.enabledByDefault ?? true,
    hooks: Object.entries(hooks).map(([name, hook]) =>
      Object.assign(new HookManifest(), {
        name,
        ...(typeof hook === 'object' && hook !== null
          ? { priority: hook.priority, timeoutMs: hook.timeoutMs, failure: hook.failure }
          : {}),
      }),
    ),
    routes: (Array.isArray(definition.routes) ? definition.routes : []).map((route) =>
      Object.assign(new RouteManifest(), { method: route.method, path: route.path, role: route.role }),
    ),
  });
  const violation = firstViolation(validateSync(manifest));
  if (violation)
    return { ok: false, field: violation.field, reason: `${violation.field}: ${violation.message}` };

  for (const [name, hook] of Object.entries(hooks)) {
    const handler = typeof hook === 'function' ? hook : isObject(hook) ? hook.handler : undefined;
    if (typeof handler !== 'function') {
      return {
        ok: false,
        field: `hooks.${name}`,
        reason: `hooks.${name}: must be a function or { handler }`,
      };
    }
  }
  for (const [i, route] of (definition.routes ?? []).entries()) {
    if (typeof route.handler !== 'function') {
      return { ok: false, field: `routes.${i}.handler`, reason: `routes.${i}.handler: must be a function` };
    }
  }
  if (manifest.routes.length > 0 && !manifest.permissions.includes('http.routes')) {
    return {
      ok: false,
      field: 'permissions',
      reason: "permissions: routes need the 'http.routes' permission",
    };
  }

  const refusal = apiVersionRefusal(manifest.apiVersion, hostApiVersion);
  if (refusal) return { ok: false, field: 'apiVersion', reason: refusal };

  if (definition.settings !== undefined) {
    if (!isObject(definition.settings) || !isObject(definition.settings.schema)) {
      return { ok: false, field: 'settings.schema', reason: 'settings.schema: must be a JSON Schema object' };
    }
    let validate;
    try {
      validate = compileSettingsSchema(definition.settings.schema);
    } catch (err) {
      return { ok: false, field: 'settings.schema', reason: `settings.schema: ${(err as Error).message}` };
    }
    const defaults = validate(definition.settings.defaults);
    if (!defaults.ok) {
      return {
        ok: false,
        field: 'settings.defaults',
        reason: `settings.defaults: ${defaults.field ? `${defaults.field} ` : ''}${defaults.message}`,
      };
    }
  }
  return { ok: true, manifest };
}

/** Why a plugin asking for `range` cannot run on Plugin API `hostVersion`, or undefined when it can. */
export function apiVersionRefusal(range: string, hostVersion = PLUGIN_API_VERSION): string | undefined {
  if (semver.validRange(range) === null) {
    return `apiVersion: '${range}' is not a semver range (e.g. ^1.0.0)`;
  }
  if (!semver.satisfies(hostVersion, range)) {
    return `apiVersion: plugin requires Plugin API ${range}, this server provides ${hostVersion}`;
  }
  return undefined;
}
