import { ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { AuthGuard } from '../auth/auth.guard';

/**
 * Reads of files and thumbnails: a request carrying a signed link (`?sig=`) passes here and is checked
 * by MediaLinkService; any other request needs the Bearer access token, exactly as AuthGuard.
 */
@Injectable()
export class MediaReadGuard extends AuthGuard {
  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request>();
    if (req.query.sig !== undefined) return true;
    return super.canActivate(context);
  }
}
