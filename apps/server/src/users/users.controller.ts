import { Body, Controller, Delete, Get, Param, Patch, Post, Put, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AuthUser } from '../auth/auth-user';
import { CreateUserDto, UserViewDto } from '../auth/auth.dto';
import { AuthGuard } from '../auth/auth.guard';
import { AuthService } from '../auth/auth.service';
import { CurrentUser } from '../auth/current-user.decorator';
import { Roles } from '../auth/roles.decorator';
import { toUserView, UserView } from './user.entity';
import { BanUserDto, ListUsersQueryDto, SetRoleDto, UpdateProfileDto, UserPageDto } from './users.dto';
import { UserPage, UsersService } from './users.service';

@ApiTags('users')
@ApiBearerAuth()
@UseGuards(AuthGuard)
@Controller('users')
export class UsersController {
  constructor(
    private readonly users: UsersService,
    private readonly auth: AuthService,
  ) {}

  @Get()
  @ApiOkResponse({ type: UserPageDto })
  list(@Query() query: ListUsersQueryDto): Promise<UserPage> {
    return this.users.list(query);
  }

  @Post()
  @Roles('admin')
  @ApiCreatedResponse({ type: UserViewDto })
  async create(@CurrentUser() actor: AuthUser, @Body() dto: CreateUserDto): Promise<UserView> {
    const { role, ...input } = dto;
    return toUserView(await this.auth.createUser(input, actor, role));
  }

  @Get('me')
  @ApiOkResponse({ type: UserViewDto })
  me(@CurrentUser() user: AuthUser): Promise<UserView> {
    return this.users.get(user.id);
  }

  @Patch('me')
  @ApiOkResponse({ type: UserViewDto })
  updateMe(@CurrentUser() user: AuthUser, @Body() dto: UpdateProfileDto): Promise<UserView> {
    return this.users.updateProfile(user, dto);
  }

  @Get('by-username/:username')
  @ApiOkResponse({ type: UserViewDto })
  byUsername(@Param('username') username: string): Promise<UserView> {
    return this.users.getByUsername(username);
  }

  @Get(':id')
  @ApiOkResponse({ type: UserViewDto })
  get(@Param('id') id: string): Promise<UserView> {
    return this.users.get(id);
  }

  @Post(':id/ban')
  @Roles('admin', 'moderator')
  @ApiOkResponse({ type: UserViewDto })
  ban(@CurrentUser() actor: AuthUser, @Param('id') id: string, @Body() dto: BanUserDto): Promise<UserView> {
    return this.users.ban(actor, id, dto.reason);
  }

  @Delete(':id/ban')
  @Roles('admin', 'moderator')
  @ApiOkResponse({ type: UserViewDto })
  unban(@CurrentUser() actor: AuthUser, @Param('id') id: string): Promise<UserView> {
    return this.users.unban(actor, id);
  }

  @Put(':id/role')
  @Roles('admin')
  @ApiOkResponse({ type: UserViewDto })
  setRole(
    @CurrentUser() actor: AuthUser,
    @Param('id') id: string,
    @Body() dto: SetRoleDto,
  ): Promise<UserView> {
    return this.users.setRole(actor, id, dto.role);
  }
}
