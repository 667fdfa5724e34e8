import { ApiProperty } from '@nestjs/swagger';
import type { ReactionPayload } from '@palaver/client';
import { IsMongoId, IsString, Matches } from 'class-validator';

/** Stored as a key under `reactions`, so no '.', no leading '$', and short. */
export const EMOJI_PATTERN = /^[^\s.$]{1,32}$/u;

export class ReactionDto implements ReactionPayload {
  @ApiProperty() @IsMongoId() messageId!: string;

  @ApiProperty({ description: "1-32 characters without whitespace, '.' or '$'" })
  @IsString()
  @Matches(EMOJI_PATTERN, { message: "emoji must be 1-32 characters without whitespace, '.' or '$'" })
  emoji!: string;
}
