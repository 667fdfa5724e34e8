import { Logger, Params, PinoLogger } from 'nestjs-pino';
import type { Logger as Pino } from 'pino';

/** Nest's own start-up chatter (one line per module and route); kept at debug so boot logs one line. */
const FRAMEWORK_CONTEXTS = new Set([
  'NestFactory',
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestApplication',
  'WebSocketsController',
]);

/**
 * The app-wide Nest logger: pino (JSON, pretty in a TTY), with framework boot messages demoted.
 * nestjs-pino's Logger does the Nest → pino argument mapping; it is given the root logger directly
 * (no request scope, see LoggingModule).
 */
export class AppLogger extends Logger {
  constructor(root: Pino) {
    const params: Params = { pinoHttp: { logger: root } };
    super(new PinoLogger(params), params);
  }

  override log(message: unknown, ...optionalParams: unknown[]): void {
    const context = optionalParams[optionalParams.length - 1];
    if (typeof context === 'string' && FRAMEWORK_CONTEXTS.has(context)) {
      super.debug(message, ...optionalParams);
      return;
    }
    super.log(message, ...optionalParams);
  }
}
