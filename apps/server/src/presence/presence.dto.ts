import { ApiProperty } from '@nestjs/swagger';
import type { PresenceQueryPayload, PresenceSetPayload, RoomIdPayload } from '@palaver/client';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsMongoId } from 'class-validator';

export const PRESENCE_QUERY_MAX = 500;

export class PresenceSetDto implements PresenceSetPayload {
  @ApiProperty({ enum: ['online', 'away'] }) @IsIn(['online', 'away']) status!: 'online' | 'away';
}

export class PresenceQueryDto implements PresenceQueryPayload {
  @ApiProperty({ type: [String] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(PRESENCE_QUERY_MAX)
  @IsMongoId({ each: true })
  userIds!: string[];
}

export class TypingDto implements RoomIdPayload {
  @ApiProperty() @IsMongoId() roomId!: string;
}
