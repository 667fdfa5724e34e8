import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Patch,
  Post,
  Put,
  Query,
  UseGuards,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { RoomDirectoryPage, RoomMemberView } from '@palaver/client';
import { AuthUser } from '../auth/auth-user';
import { AuthGuard } from '../auth/auth.guard';
import { CurrentUser } from '../auth/current-user.decorator';
import { RoomView } from './room.entity';
import {
  CreateRoomDto,
  DirectoryQueryDto,
  RoomDirectoryPageDto,
  RoomIdDto,
  RoomMemberDto,
  RoomMemberViewDto,
  RoomViewDto,
  SetRoomRoleDto,
  UpdateRoomDto,
  UserIdDto,
} from './rooms.dto';
import { RoomsService } from './rooms.service';

@ApiTags('rooms')
@ApiBearerAuth()
@UseGuards(AuthGuard)
@Controller('rooms')
export class RoomsController {
  constructor(private readonly rooms: RoomsService) {}

  @Post()
  @ApiCreatedResponse({ type: RoomViewDto, description: 'The caller becomes the owner' })
  create(@CurrentUser() user: AuthUser, @Body() dto: CreateRoomDto): Promise<RoomView> {
    return this.rooms.create(user, dto);
  }

  @Get()
  @ApiOkResponse({ type: [RoomViewDto], description: 'The caller’s rooms with their role' })
  listMine(@CurrentUser() user: AuthUser): Promise<RoomView[]> {
    return this.rooms.listMine(user);
  }

  @Get('directory')
  @ApiOkResponse({ type: RoomDirectoryPageDto, description: 'Public rooms by name' })
  directory(@CurrentUser() user: AuthUser, @Query() query: DirectoryQueryDto): Promise<RoomDirectoryPage> {
    return this.rooms.directory(user, query);
  }

  @Post('direct')
  @HttpCode(200)
  @ApiOkResponse({ type: RoomViewDto, description: 'The direct room with that user (created on first use)' })
  openDirect(@CurrentUser() user: AuthUser, @Body() dto: UserIdDto): Promise<RoomView> {
    return this.rooms.openDirect(user, dto.userId);
  }

  @Get(':roomId')
  @ApiOkResponse({ type: RoomViewDto })
  get(@CurrentUser() user: AuthUser, @Param() params: RoomIdDto): Promise<RoomView> {
    return this.rooms.get(user, params.roomId);
  }

  @Patch(':roomId')
  @ApiOkResponse({ type: RoomViewDto, description: 'Rename/archive: owner; topic: moderators' })
  update(
    @CurrentUser() user: AuthUser,
    @Param() params: RoomIdDto,
    @Body() dto: UpdateRoomDto,
  ): Promise<RoomView> {
    return this.rooms.update(user, params.roomId, dto);
  }

  @Delete(':roomId')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Room, memberships and messages deleted (owner or admin)' })
  delete(@CurrentUser() user: AuthUser, @Param() params: RoomIdDto): Promise<void> {
    return this.rooms.delete(user, params.roomId);
  }

  @Post(':roomId/join')
  @HttpCode(200)
  @ApiOkResponse({ type: RoomViewDto, description: 'Public rooms only' })
  join(@CurrentUser() user: AuthUser, @Param() params: RoomIdDto): Promise<RoomView> {
    return this.rooms.join(user, params.roomId);
  }

  @Post(':roomId/leave')
  @HttpCode(204)
  @ApiNoContentResponse()
  leave(@CurrentUser() user: AuthUser, @Param() params: RoomIdDto): Promise<void> {
    return this.rooms.leave(user, params.roomId);
  }

  @Get(':roomId/members')
  @ApiOkResponse({ type: [RoomMemberViewDto] })
  members(@CurrentUser() user: AuthUser, @Param() params: RoomIdDto): Promise<RoomMemberView[]> {
    return this.rooms.members(user, params.roomId);
  }

  @Post(':roomId/members')
  @HttpCode(200)
  @ApiOkResponse({ type: RoomMemberViewDto, description: 'Invite (adds the user as a member)' })
  invite(
    @CurrentUser() user: AuthUser,
    @Param() params: RoomIdDto,
    @Body() dto: UserIdDto,
  ): Promise<RoomMemberView> {
    return this.rooms.invite(user, params.roomId, dto.userId);
  }

  @Delete(':roomId/members/:userId')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Kick (room moderators)' })
  kick(@CurrentUser() user: AuthUser, @Param() params: RoomMemberDto): Promise<void> {
    return this.rooms.kick(user, params.roomId, params.userId);
  }

  @Put(':roomId/members/:userId/role')
  @ApiOkResponse({ type: RoomMemberViewDto, description: 'Set a member’s room role (owner)' })
  setRole(
    @CurrentUser() user: AuthUser,
    @Param() params: RoomMemberDto,
    @Body() dto: SetRoomRoleDto,
  ): Promise<RoomMemberView> {
    return this.rooms.setRole(user, params.roomId, params.userId, dto.role);
  }
}
