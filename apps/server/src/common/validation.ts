import { ValidationError as ClassValidatorError, ValidationPipe } from '@nestjs/common';
import { ValidationFailedError } from './domain-error';

/** The first failing constraint, with its dotted property path (`attachments.0.name`). */
export function firstViolation(
  errors: ClassValidatorError[],
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

/** The one ValidationPipe, used for HTTP (global) and for gateways (@UsePipes). */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: (errors) => {
      const violation = firstViolation(errors);
      return new ValidationFailedError(violation?.message ?? 'invalid input', violation?.field);
    },
  });
}
