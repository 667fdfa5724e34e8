import { Injectable, Logger } from '@nestjs/common';
import {
  compileSettingsSchema,
  PluginError,
  type PluginRoute,
  type SettingsValidator,
} from '@palaver/plugin-sdk';
import type { AuthUser, Role } from '../auth/auth-user';
import {
  ConflictError,
  DomainError,
  ForbiddenError,
  NotFoundError,
  RejectedError,
  UnavailableError,
  ValidationFailedError,
} from '../common/domain-error';
import { PluginRegistry } from './plugin-registry';

const RANK: Record<Role, number> = { member: 0, moderator: 1, admin: 2 };
/** Routes answer people waiting on an HTTP response: longer than a hook, still bounded. */
const ROUTE_TIMEOUT_MS = 5000;

export interface PluginRouteCall {
  method: string;
  /** The path after `/api/plugins/<id>`, starting with `/`. */
  path: string;
  query: Record<string, unknown>;
  body: unknown;
}

function match(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split('/').filter(Boolean);
  const got = path.split('/').filter(Boolean);
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    if (want[i].startsWith(':')) params[want[i].slice(1)] = decodeURIComponent(got[i]);
    else if (want[i] !== got[i]) return undefined;
  }
  return params;
}

/** Serves the HTTP routes plugins declare, under `/api/plugins/<plugin id>/...`. */
@Injectable()
export class PluginRoutesService {
  private readonly log = new Logger('Plugins');
  private readonly bodyValidators = new WeakMap<object, SettingsValidator>();

  constructor(private readonly registry: PluginRegistry) {}

  async dispatch(user: AuthUser, pluginId: string, call: PluginRouteCall): Promise<unknown> {
    const plugin = this.registry.get(pluginId);
    if (!plugin?.definition || plugin.status !== 'enabled') throw new NotFoundError('plugin route');
    const routes = (plugin.definition.routes ?? []) as PluginRoute<unknown>[];
    let found: { route: PluginRoute<unknown>; params: Record<string, string> } | undefined;
    for (const route of routes) {
      if (route.method !== call.method) continue;
      const params = match(route.path, call.path);
      if (params) {
        found = { route, params };
        break;
      }
    }
    if (!found) throw new NotFoundError('plugin route');
    const { route, params } = found;
    if (RANK[user.role] < RANK[route.role]) throw new ForbiddenError(`requires role ${route.role}`);

    let body = call.body;
    if (route.body) {
      let validate = this.bodyValidators.get(route);
      if (!validate) {
        validate = compileSettingsSchema(route.body);
        this.bodyValidators.set(route, validate);
      }
      const check = validate(body ?? {});
      if (!check.ok)
        throw new ValidationFailedError(
          `${check.field || 'body'} ${check.message}`,
          check.field || undefined,
        );
      body = check.value;
    }
    const query = Object.fromEntries(
      Object.entries(call.query).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
    );
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        Promise.resolve().then(() =>
          route.handler(
            { user: { id: user.id, username: user.username, role: user.role }, params, query, body },
            plugin.context!,
          ),
        ),
        new Promise<never>((_, fail) => {
          timer = setTimeout(
            () => fail(new UnavailableError(`plugin ${pluginId} did not answer in time`)),
            ROUTE_TIMEOUT_MS,
          );
        }),
      ]);
    } catch (err) {
      throw this.toDomainError(pluginId, err);
    } finally {
      clearTimeout(timer);
    }
  }

  private toDomainError(pluginId: string, err: unknown): Error {
    if (err instanceof DomainError) return err;
    if (err instanceof PluginError || (err as Error)?.name === 'PluginError') {
      const e = err as PluginError;
      switch (e.code) {
        case 'validation_failed':
          return new ValidationFailedError(e.message, e.field);
        case 'forbidden':
          return new ForbiddenError(e.message);
        case 'not_found':
          return new DomainError('not_found', e.message, e.field);
        case 'conflict':
          return new ConflictError(e.message, e.field);
        default:
          return new RejectedError(e.message, e.field);
      }
    }
    this.log.error(`plugin ${pluginId} route failed: ${(err as Error)?.stack ?? String(err)}`);
    return err instanceof Error ? err : new Error(String(err));
  }
}
