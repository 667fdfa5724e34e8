import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { ROLES, Role } from './auth-user';

export const USERNAME_PATTERN = /^[a-zA-Z0-9_.-]{3,32}$/;
const USERNAME_RULE = 'username must be 3-32 characters of a-z A-Z 0-9 _ . -';

export class RegisterDto {
  @ApiProperty({ example: 'ada', pattern: USERNAME_PATTERN.source })
  @IsString()
  @Matches(USERNAME_PATTERN, { message: USERNAME_RULE })
  username!: string;

  @ApiProperty({ minLength: 8, maxLength: 256 })
  @IsString()
  @MinLength(8)
  @MaxLength(256)
  password!: string;

  @ApiPropertyOptional({ maxLength: 64 })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(64)
  displayName?: string;
}

/** Admin-created account (works when registration is closed). */
export class CreateUserDto extends RegisterDto {
  @ApiPropertyOptional({ enum: ROLES, default: 'member' })
  @IsOptional()
  @IsIn(ROLES)
  role?: Role;
}

export class LoginDto {
  @ApiProperty() @IsString() @MinLength(1) @MaxLength(64) username!: string;
  @ApiProperty() @IsString() @MinLength(1) @MaxLength(256) password!: string;
}

export class RefreshDto {
  @ApiProperty() @IsString() @MinLength(1) @MaxLength(512) refreshToken!: string;
}

export class ChangePasswordDto {
  @ApiProperty() @IsString() @MinLength(1) @MaxLength(256) currentPassword!: string;
  @ApiProperty({ minLength: 8, maxLength: 256 })
  @IsString()
  @MinLength(8)
  @MaxLength(256)
  newPassword!: string;
}

export class UserViewDto {
  @ApiProperty() id!: string;
  @ApiProperty() username!: string;
  @ApiProperty() displayName!: string;
  @ApiProperty({ enum: ROLES }) role!: Role;
  @ApiProperty() banned!: boolean;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class AuthTokensDto {
  @ApiProperty({ type: UserViewDto }) user!: UserViewDto;
  @ApiProperty({ description: 'Bearer token for HTTP and the Socket.IO handshake' }) accessToken!: string;
  @ApiProperty({ format: 'date-time' }) accessTokenExpiresAt!: string;
  @ApiProperty({ description: 'Single use: each refresh returns a new one' }) refreshToken!: string;
  @ApiProperty({ format: 'date-time' }) refreshTokenExpiresAt!: string;
}
