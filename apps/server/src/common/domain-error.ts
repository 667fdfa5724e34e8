/**
 * Typed domain errors. Services throw these; they are mapped once to HTTP responses
 * (DomainErrorFilter) and to socket acks (toErrorBody), both shaped `{ error: { code, message, field? } }`.
 */
export type ErrorCode =
  | 'validation_failed'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'gone'
  | 'payload_too_large'
  | 'rate_limited'
  | 'rejected'
  | 'unknown_event'
  | 'unavailable'
  | 'internal';

export const HTTP_STATUS_FOR: Readonly<Record<ErrorCode, number>> = Object.freeze({
  validation_failed: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  gone: 410,
  payload_too_large: 413,
  rate_limited: 429,
  rejected: 422,
  unknown_event: 400,
  unavailable: 503,
  internal: 500,
});

export interface ErrorBody {
  error: { code: ErrorCode; message: string; field?: string; retryAfterMs?: number };
}

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }

  toBody(): ErrorBody {
    return {
      error: { code: this.code, message: this.message, ...(this.field ? { field: this.field } : {}) },
    };
  }
}

export class ValidationFailedError extends DomainError {
  constructor(message: string, field?: string) {
    super('validation_failed', message, field);
  }
}
export class UnauthorizedError extends DomainError {
  constructor(message = 'authentication required') {
    super('unauthorized', message);
  }
}
export class ForbiddenError extends DomainError {
  constructor(message = 'not allowed') {
    super('forbidden', message);
  }
}
export class NotFoundError extends DomainError {
  constructor(what: string, field?: string) {
    super('not_found', `${what} not found`, field);
  }
}
export class ConflictError extends DomainError {
  constructor(message: string, field?: string) {
    super('conflict', message, field);
  }
}
export class PayloadTooLargeError extends DomainError {
  constructor(message: string, field?: string) {
    super('payload_too_large', message, field);
  }
}
export class RateLimitedError extends DomainError {
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super('rate_limited', message);
  }
  override toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message, retryAfterMs: this.retryAfterMs } };
  }
}
/** A plugin hook (or a rule) refused the action; the message is shown to the user. */
export class RejectedError extends DomainError {
  constructor(message: string, field?: string) {
    super('rejected', message, field);
  }
}
export class UnavailableError extends DomainError {
  constructor(message: string) {
    super('unavailable', message);
  }
}

/** Any thrown value to the error body sent to clients; unknown errors never leak their message. */
export function toErrorBody(err: unknown): ErrorBody {
  if (err instanceof DomainError) return err.toBody();
  return { error: { code: 'internal', message: 'internal error' } };
}
