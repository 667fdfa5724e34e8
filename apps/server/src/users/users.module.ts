import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { AuthStateVersionRepository } from './auth-state-version.repository';
import { UsersController } from './users.controller';
import { UsersRepository } from './users.repository';
import { UserDocument, UserSchema } from './users.schema';
import { UsersService } from './users.service';

/** Accounts' profiles, directory and admin actions. AuthService/AuthGuard come from the global AuthModule. */
@Module({
  imports: [MongooseModule.forFeature([{ name: UserDocument.name, schema: UserSchema }])],
  controllers: [UsersController],
  providers: [UsersRepository, UsersService, AuthStateVersionRepository],
  exports: [UsersRepository, UsersService, AuthStateVersionRepository],
})
export class UsersModule {}
