import {
  applyDecorators,
  CanActivate,
  ExecutionContext,
  Injectable,
  SetMetadata,
  UseGuards,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiBearerAuth } from '@nestjs/swagger';
import { ForbiddenError, UnauthorizedError } from '../common/domain-error';
import { AuthUser, Role } from './auth-user';
import { AuthGuard } from './auth.guard';

const ROLES_KEY = 'palaver:roles';

/** Lets only accounts with one of these global roles through. */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!roles || roles.length === 0) return true;
    const user = context.switchToHttp().getRequest<{ user?: AuthUser }>().user;
    if (!user) throw new UnauthorizedError();
    if (!roles.includes(user.role)) throw new ForbiddenError(`requires role ${roles.join(' or ')}`);
    return true;
  }
}

/** `@Roles('admin', 'moderator')`: authenticates (AuthGuard) and then requires one of the global roles. */
export function Roles(...roles: Role[]): MethodDecorator & ClassDecorator {
  return applyDecorators(SetMetadata(ROLES_KEY, roles), UseGuards(AuthGuard, RolesGuard), ApiBearerAuth());
}
