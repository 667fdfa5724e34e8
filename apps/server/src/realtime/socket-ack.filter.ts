import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import { DomainError, ErrorBody, toErrorBody } from '../common/domain-error';

/**
 * Maps anything a gateway handler (or its ValidationPipe) throws to the error ack
 * `{ error: { code, message, field? } }`. The ack callback is the last function among the handler's
 * arguments; an event sent without one gets no answer. Unknown errors are logged, never leaked.
 */
@Catch()
export class SocketAckFilter implements ExceptionFilter {
  private readonly logger = new Logger(SocketAckFilter.name);

  catch(err: unknown, host: ArgumentsHost): void {
    if (!(err instanceof DomainError)) {
      this.logger.error(`socket handler failed: ${(err as Error)?.stack ?? String(err)}`);
    }
    const ack = [...host.getArgs()]
      .reverse()
      .find((arg): arg is (body: ErrorBody) => void => typeof arg === 'function');
    ack?.(toErrorBody(err));
  }
}
