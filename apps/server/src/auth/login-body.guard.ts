import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { ValidationFailedError } from '../common/domain-error';
import { firstViolation } from '../common/validation';
import { LoginDto } from './auth.dto';

/**
 * Guards run before pipes, so the login body is validated here (same rules and error shape as the
 * ValidationPipe) before passport-local reads it.
 */
@Injectable()
export class LoginBodyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const body: unknown = context.switchToHttp().getRequest<{ body?: unknown }>().body;
    const dto = plainToInstance(LoginDto, typeof body === 'object' && body !== null ? body : {});
    const violation = firstViolation(validateSync(dto, { whitelist: true, forbidNonWhitelisted: true }));
    if (violation) throw new ValidationFailedError(violation.message, violation.field);
    return true;
  }
}
