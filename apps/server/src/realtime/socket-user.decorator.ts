import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { AuthUser } from '../auth/auth-user';
import { UnauthorizedError } from '../common/domain-error';
import type { PalaverSocket } from './broadcaster';

/** The AuthUser the handshake put on the socket (gateway handlers' counterpart of @CurrentUser). */
export const SocketUser = createParamDecorator((_data: unknown, context: ExecutionContext): AuthUser => {
  const user = context.switchToWs().getClient<PalaverSocket>().data.user;
  if (!user) throw new UnauthorizedError();
  return user;
});
