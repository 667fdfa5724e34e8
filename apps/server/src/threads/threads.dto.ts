import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { ThreadHistoryPayload } from '@palaver/client';
import { Type } from 'class-transformer';
import { IsInt, IsMongoId, IsOptional, Max, Min } from 'class-validator';
import { HISTORY_PAGE_MAX } from '../messages/messages.dto';

export class ThreadHistoryDto implements ThreadHistoryPayload {
  @ApiProperty() @IsMongoId() rootId!: string;

  @ApiPropertyOptional({ minimum: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  before?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: HISTORY_PAGE_MAX })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(HISTORY_PAGE_MAX)
  limit?: number;
}
