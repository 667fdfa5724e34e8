import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { DomainError, ErrorBody, ErrorCode, HTTP_STATUS_FOR, RateLimitedError } from './domain-error';

const CODE_FOR_STATUS: Partial<Record<number, ErrorCode>> = {
  400: 'validation_failed',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  410: 'gone',
  413: 'payload_too_large',
  422: 'rejected',
  429: 'rate_limited',
  503: 'unavailable',
};

/**
 * The one mapping of errors to HTTP responses `{ error: { code, message, field? } }`: DomainErrors by
 * HTTP_STATUS_FOR, Nest/Express HttpExceptions (unknown route, body too large, malformed JSON) by
 * status, anything else 500 `internal` with the details only in the log. HTTP only: gateways map
 * errors to acks with their own filter (toErrorBody).
 */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') return;
    const res = host.switchToHttp().getResponse<Response>();
    const { status, body } = this.toResponse(exception);
    if (exception instanceof RateLimitedError) {
      res.setHeader('Retry-After', String(Math.max(1, Math.ceil(exception.retryAfterMs / 1000))));
    }
    if (res.headersSent) {
      res.end();
      return;
    }
    res.status(status).json(body);
  }

  private toResponse(exception: unknown): { status: number; body: ErrorBody } {
    if (exception instanceof DomainError) {
      return { status: HTTP_STATUS_FOR[exception.code], body: exception.toBody() };
    }
    const status = httpStatusOf(exception);
    if (status !== undefined && status < 500) {
      const code = CODE_FOR_STATUS[status] ?? 'validation_failed';
      return { status, body: { error: { code, message: messageOf(exception) } } };
    }
    if (status === HttpStatus.SERVICE_UNAVAILABLE) {
      return { status, body: { error: { code: 'unavailable', message: 'service unavailable' } } };
    }
    this.logger.error(
      exception instanceof Error ? (exception.stack ?? exception.message) : String(exception),
    );
    return { status: 500, body: { error: { code: 'internal', message: 'internal error' } } };
  }
}

/** Nest HttpExceptions and body-parser errors (`status`/`statusCode`, `expose`). */
function httpStatusOf(exception: unknown): number | undefined {
  if (exception instanceof HttpException) return exception.getStatus();
  const e = exception as { status?: unknown; statusCode?: unknown; expose?: unknown } | null;
  if (e && typeof e === 'object' && e.expose === true) {
    const status = typeof e.status === 'number' ? e.status : e.statusCode;
    if (typeof status === 'number') return status;
  }
  return undefined;
}

function messageOf(exception: unknown): string {
  if (exception instanceof HttpException) {
    const response = exception.getResponse();
    if (typeof response === 'string') return response;
    const message = (response as { message?: unknown }).message;
    if (Array.isArray(message)) return String(message[0]);
    if (typeof message === 'string') return message;
    return exception.message;
  }
  return exception instanceof Error ? exception.message : 'bad request';
}
