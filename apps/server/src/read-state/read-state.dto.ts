import { ApiProperty } from '@nestjs/swagger';
import type { ReadMarkPayload } from '@palaver/client';
import { Type } from 'class-transformer';
import { IsInt, IsMongoId, Min } from 'class-validator';

export class ReadMarkDto implements ReadMarkPayload {
  @ApiProperty() @IsMongoId() roomId!: string;

  @ApiProperty({ minimum: 0, description: 'seq of the newest message read' })
  @Type(() => Number)
  @IsInt()
  @Min(0)
  seq!: number;
}
