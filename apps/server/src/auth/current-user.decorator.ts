import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { UnauthorizedError } from '../common/domain-error';
import { AuthUser } from './auth-user';

/** The AuthUser that AuthGuard put on the request; use only on routes behind AuthGuard. */
export const CurrentUser = createParamDecorator((_data: unknown, context: ExecutionContext): AuthUser => {
  const user = context.switchToHttp().getRequest<{ user?: AuthUser }>().user;
  if (!user) throw new UnauthorizedError();
  return user;
});
