import type { INestApplicationContext } from '@nestjs/common';
import { MetadataScanner, ModulesContainer, NestContainer } from '@nestjs/core';
import { GuardsConsumer, GuardsContextCreator } from '@nestjs/core/guards';
import { InterceptorsConsumer, InterceptorsContextCreator } from '@nestjs/core/interceptors';
import { PipesConsumer, PipesContextCreator } from '@nestjs/core/pipes';
import { GATEWAY_METADATA, GATEWAY_OPTIONS, PORT_METADATA } from '@nestjs/websockets/constants';
import { ExceptionFiltersContext } from '@nestjs/websockets/context/exception-filters-context';
import { WsContextCreator } from '@nestjs/websockets/context/ws-context-creator';
import { WsProxy } from '@nestjs/websockets/context/ws-proxy';
import { GatewayMetadataExplorer } from '@nestjs/websockets/gateway-metadata-explorer';

/**
 * One `@SubscribeMessage` handler, shared by every socket: called as `(socket, data, ack)`, with the
 * guards, pipes, interceptors and exception filters of its gateway applied (Nest's own WsContextCreator
 * builds it, as for Nest's adapter).
 */
export interface GatewayEventHandler {
  readonly event: string;
  readonly gateway: string;
  readonly isAckHandledManually: boolean;
  readonly call: (socket: unknown, data: unknown, ack: unknown) => Promise<unknown>;
}

/**
 * Builds every gateway handler of the application once, keyed by event.
 *
 * Nest's WebSocketsController hands an adapter each handler bound to one socket (`callback.bind(gateway,
 * socket)`), a new function per handler for every connection; kept for the life of the socket that is
 * about 1.9 KiB per connection with our two dozen handlers. Built here once instead, with the same
 * context creator Nest's SocketModule uses (the same enhancers: the gateway's and the method's, none of
 * the HTTP globals), the adapter can call them for any socket. The context creators only need the
 * module container, which Nest does not expose publicly; it is read from the application.
 *
 * Every gateway must be on the default namespace of the application's own server (no `namespace`, no
 * port): the adapter serves one server.
 */
export function buildGatewayHandlers(app: INestApplicationContext): Map<string, GatewayEventHandler[]> {
  const container = containerOf(app);
  const contexts = new WsContextCreator(
    new WsProxy(),
    new ExceptionFiltersContext(container),
    new PipesContextCreator(container),
    new PipesConsumer(),
    new GuardsContextCreator(container),
    new GuardsConsumer(),
    new InterceptorsContextCreator(container),
    new InterceptorsConsumer(),
  );
  const explorer = new GatewayMetadataExplorer(new MetadataScanner());
  const handlers = new Map<string, GatewayEventHandler[]>();
  for (const [moduleKey, moduleRef] of app.get(ModulesContainer)) {
    for (const wrapper of moduleRef.providers.values()) {
      const { instance, metatype } = wrapper;
      if (!instance || !metatype || wrapper.isNotMetatype) continue;
      if (!Reflect.getMetadata(GATEWAY_METADATA, metatype)) continue;
      const options = (Reflect.getMetadata(GATEWAY_OPTIONS, metatype) ?? {}) as { namespace?: unknown };
      const port = (Reflect.getMetadata(PORT_METADATA, metatype) ?? 0) as number;
      const gateway = (metatype as { name?: string }).name ?? 'gateway';
      if (options.namespace !== undefined || port !== 0) {
        throw new Error(
          `${gateway}: PalaverIoAdapter serves gateways on the default namespace and port only`,
        );
      }
      for (const mapping of explorer.explore(instance as object)) {
        const event = String(mapping.message);
        const call = contexts.create(
          instance as object,
          mapping.callback as (...args: unknown[]) => void,
          moduleKey,
          mapping.methodName,
        );
        const list = handlers.get(event) ?? [];
        list.push({ event, gateway, isAckHandledManually: mapping.isAckHandledManually, call });
        handlers.set(event, list);
      }
    }
  }
  return handlers;
}

function containerOf(app: INestApplicationContext): NestContainer {
  const container = (app as unknown as { container?: NestContainer }).container;
  if (!container || typeof container.getModules !== 'function') {
    throw new Error('PalaverIoAdapter needs the Nest application (its module container) to build handlers');
  }
  return container;
}
