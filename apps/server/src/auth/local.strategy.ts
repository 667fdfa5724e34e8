import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { Request } from 'express';
import { Strategy } from 'passport-local';
import { UserRecord } from '../users/user.entity';
import { AuthService } from './auth.service';

/** passport-local: username + password from the JSON body → the account (req.user). */
@Injectable()
export class LocalStrategy extends PassportStrategy(Strategy, 'local') {
  constructor(private readonly auth: AuthService) {
    super({ usernameField: 'username', passwordField: 'password', passReqToCallback: true, session: false });
  }

  validate(req: Request, username: string, password: string): Promise<UserRecord> {
    return this.auth.verifyCredentials(username, password, req.ip ?? 'unknown');
  }
}
