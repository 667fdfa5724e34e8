import { Body, Controller, Get, HttpCode, Ip, Post, UseGuards } from '@nestjs/common';
import { AuthGuard as PassportAuthGuard } from '@nestjs/passport';
import { ApiBearerAuth, ApiBody, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { toUserView, UserRecord, UserView } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { AuthUser } from './auth-user';
import { AuthTokensDto, ChangePasswordDto, LoginDto, RefreshDto, RegisterDto, UserViewDto } from './auth.dto';
import { AuthGuard } from './auth.guard';
import { AuthService, AuthTokens } from './auth.service';
import { CurrentUser } from './current-user.decorator';
import { LoginBodyGuard } from './login-body.guard';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly users: UsersService,
  ) {}

  @Post('register')
  @ApiOkResponse({ type: AuthTokensDto })
  register(@Body() dto: RegisterDto, @Ip() clientIp: string): Promise<AuthTokens> {
    return this.auth.registerFrom(clientIp, dto);
  }

  /** The body is validated by LoginDto (for the docs) and read by passport-local. */
  @Post('login')
  @HttpCode(200)
  @UseGuards(LoginBodyGuard, PassportAuthGuard('local'))
  @ApiBody({ type: LoginDto })
  @ApiOkResponse({ type: AuthTokensDto })
  login(@CurrentUser() user: unknown): Promise<AuthTokens> {
    return this.auth.login(user as UserRecord);
  }

  @Post('refresh')
  @HttpCode(200)
  @ApiOkResponse({ type: AuthTokensDto })
  refresh(@Body() dto: RefreshDto): Promise<AuthTokens> {
    return this.auth.refresh(dto.refreshToken);
  }

  @Post('logout')
  @HttpCode(204)
  @UseGuards(AuthGuard)
  @ApiBearerAuth()
  async logout(@CurrentUser() user: AuthUser): Promise<void> {
    await this.auth.logout(user);
  }

  @Post('change-password')
  @HttpCode(200)
  @UseGuards(AuthGuard)
  @ApiBearerAuth()
  @ApiOkResponse({ type: AuthTokensDto })
  changePassword(@CurrentUser() user: AuthUser, @Body() dto: ChangePasswordDto): Promise<AuthTokens> {
    return this.auth.changePassword(user, dto.currentPassword, dto.newPassword);
  }

  @Get('me')
  @UseGuards(AuthGuard)
  @ApiBearerAuth()
  @ApiOkResponse({ type: UserViewDto })
  async me(@CurrentUser() user: AuthUser): Promise<UserView> {
    return toUserView(await this.users.getRecord(user.id));
  }
}
