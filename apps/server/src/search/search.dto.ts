import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { SearchPayload } from '@palaver/client';
import { Type } from 'class-transformer';
import { IsInt, IsMongoId, IsOptional, IsString, Max, MaxLength, Min, MinLength } from 'class-validator';

export const SEARCH_PAGE_MAX = 50;
export const SEARCH_PAGE_DEFAULT = 20;
export const SEARCH_TERMS_MAX = 8;

export class SearchDto implements SearchPayload {
  @ApiProperty({ maxLength: 200 }) @IsString() @MinLength(1) @MaxLength(200) q!: string;
  @ApiPropertyOptional() @IsOptional() @IsMongoId() roomId?: string;
  @ApiPropertyOptional() @IsOptional() @IsMongoId() before?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: SEARCH_PAGE_MAX, default: SEARCH_PAGE_DEFAULT })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(SEARCH_PAGE_MAX)
  limit?: number;
}
