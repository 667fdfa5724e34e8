import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type {
  CreateRoomPayload,
  OpenDirectPayload,
  RoomDirectoryPage,
  RoomIdPayload,
  RoomKind,
  RoomMemberView,
  RoomRole,
  RoomView,
} from '@palaver/client';
import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsMongoId,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';
import { ROOM_ROLES } from './room.entity';

export const ROOM_NAME_MAX = 80;
export const ROOM_TOPIC_MAX = 500;
export const DIRECTORY_PAGE_MAX = 100;
/** Printable text without control characters; names are trimmed by the service. */
const PRINTABLE = /^[^\p{Cc}]*$/u;

export class CreateRoomDto implements CreateRoomPayload {
  @ApiProperty({ minLength: 1, maxLength: ROOM_NAME_MAX })
  @IsString()
  @MinLength(1)
  @MaxLength(ROOM_NAME_MAX)
  @Matches(PRINTABLE, { message: 'name must not contain control characters' })
  name!: string;

  @ApiProperty({ enum: ['public', 'private'] })
  @IsIn(['public', 'private'])
  kind!: 'public' | 'private';

  @ApiPropertyOptional({ maxLength: ROOM_TOPIC_MAX })
  @IsOptional()
  @IsString()
  @MaxLength(ROOM_TOPIC_MAX)
  topic?: string;
}

export class UpdateRoomDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: ROOM_NAME_MAX })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(ROOM_NAME_MAX)
  @Matches(PRINTABLE, { message: 'name must not contain control characters' })
  name?: string;

  @ApiPropertyOptional({ maxLength: ROOM_TOPIC_MAX })
  @IsOptional()
  @IsString()
  @MaxLength(ROOM_TOPIC_MAX)
  topic?: string;

  @ApiPropertyOptional({ description: 'true archives (read-only), false reopens' })
  @IsOptional()
  @IsBoolean()
  archived?: boolean;
}

export class DirectoryQueryDto {
  @ApiPropertyOptional({ description: 'Name prefix, case-insensitive', maxLength: ROOM_NAME_MAX })
  @IsOptional()
  @IsString()
  @MaxLength(ROOM_NAME_MAX)
  q?: string;

  @ApiPropertyOptional({ description: 'nextAfter of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(400)
  after?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: DIRECTORY_PAGE_MAX, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(DIRECTORY_PAGE_MAX)
  limit?: number;
}

export class RoomIdDto implements RoomIdPayload {
  @ApiProperty() @IsMongoId() roomId!: string;
}

export class UserIdDto implements OpenDirectPayload {
  @ApiProperty() @IsMongoId() userId!: string;
}

export class RoomUpdateDto extends UpdateRoomDto {
  @ApiProperty() @IsMongoId() roomId!: string;
}

export class RoomMemberDto extends RoomIdDto {
  @ApiProperty() @IsMongoId() userId!: string;
}

export class SetRoomRoleDto {
  @ApiProperty({ enum: ROOM_ROLES }) @IsIn(ROOM_ROLES) role!: RoomRole;
}

/** Socket payload of `room:list` (no fields). */
export class EmptyDto {}

export class RoomViewDto implements RoomView {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: ['public', 'private', 'direct'] }) kind!: RoomKind;
  @ApiProperty() name!: string;
  @ApiProperty() topic!: string;
  @ApiProperty() archived!: boolean;
  @ApiProperty({ type: [String] }) directUserIds!: string[];
  @ApiProperty() memberCount!: number;
  @ApiProperty() lastSeq!: number;
  @ApiProperty({ enum: ROOM_ROLES, nullable: true }) myRole!: RoomRole | null;
  @ApiProperty() createdAt!: string;
}

export class RoomDirectoryPageDto implements RoomDirectoryPage {
  @ApiProperty({ type: [RoomViewDto] }) rooms!: RoomViewDto[];
  @ApiProperty({ type: String, nullable: true }) nextAfter!: string | null;
}

export class RoomMemberViewDto implements RoomMemberView {
  @ApiProperty() userId!: string;
  @ApiProperty() username!: string;
  @ApiProperty({ enum: ROOM_ROLES }) role!: RoomRole;
  @ApiProperty() joinedAt!: string;
}
