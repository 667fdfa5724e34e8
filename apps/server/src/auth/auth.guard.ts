import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { UnauthorizedError } from '../common/domain-error';
import { AuthUser } from './auth-user';
import { AuthService } from './auth.service';

export type AuthenticatedRequest = Request & { user: AuthUser };

/** Bearer access token → `req.user` (AuthUser); anything else is 401 through the exception filter. */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(private readonly auth: AuthService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request & { user?: AuthUser }>();
    // Already authenticated by a class-level guard (e.g. @UseGuards(AuthGuard) plus @Roles on a method).
    if (req.user && 'sessionId' in req.user) return true;
    const token = bearerToken(req.headers.authorization);
    if (!token) throw new UnauthorizedError('missing bearer access token');
    req.user = await this.auth.authenticate(token);
    return true;
  }
}

export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}
