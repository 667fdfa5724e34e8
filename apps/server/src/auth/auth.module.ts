import { createSecretKey } from 'node:crypto';
import { Global, Module, OnApplicationBootstrap } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { MongooseModule } from '@nestjs/mongoose';
import { PassportModule } from '@nestjs/passport';
import { AppConfig } from '../config/app-config';
import { PluginsModule } from '../plugins/plugins.module';
import { UsersModule } from '../users/users.module';
import { AuthController } from './auth.controller';
import { AuthGuard } from './auth.guard';
import { AuthService } from './auth.service';
import { LocalStrategy } from './local.strategy';
import { LoginBodyGuard } from './login-body.guard';
import { PasswordHasher } from './password-hasher';
import { RolesGuard } from './roles.decorator';
import { RefreshTokenDocument, RefreshTokenSchema, SessionDocument, SessionSchema } from './sessions.schema';
import { SessionsRepository } from './sessions.repository';

/**
 * Global so every feature can put `@UseGuards(AuthGuard)` / `@Roles(...)` on its controllers and call
 * `AuthService.authenticate()` (the Socket.IO handshake) without importing it.
 */
@Global()
@Module({
  imports: [
    UsersModule,
    PluginsModule,
    PassportModule,
    JwtModule.registerAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        // A KeyObject, not the string: given a string, jsonwebtoken tries createPublicKey on every verify
        // and catches the failure (0.7-0.9 ms per verify vs 0.04 ms; docs/performance.md, finding 4).
        secret:
          config.TOKEN_SECRET === undefined ? undefined : createSecretKey(Buffer.from(config.TOKEN_SECRET)),
        signOptions: { algorithm: 'HS256', issuer: 'palaver' },
        verifyOptions: { algorithms: ['HS256'], issuer: 'palaver' },
      }),
    }),
    MongooseModule.forFeature([
      { name: SessionDocument.name, schema: SessionSchema },
      { name: RefreshTokenDocument.name, schema: RefreshTokenSchema },
    ]),
  ],
  controllers: [AuthController],
  providers: [
    AuthService,
    AuthGuard,
    RolesGuard,
    LoginBodyGuard,
    LocalStrategy,
    SessionsRepository,
    { provide: PasswordHasher, useValue: new PasswordHasher() },
  ],
  exports: [AuthService, AuthGuard, RolesGuard],
})
export class AuthModule implements OnApplicationBootstrap {
  constructor(
    private readonly config: AppConfig,
    private readonly auth: AuthService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.ADMIN_USERNAME && this.config.ADMIN_PASSWORD) {
      await this.auth.seedAdmin(this.config.ADMIN_USERNAME, this.config.ADMIN_PASSWORD);
    }
  }
}
