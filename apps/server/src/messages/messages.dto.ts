import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type {
  DeleteMessagePayload,
  EditMessagePayload,
  HistoryPayload,
  MessageHistoryPage,
  MessageView,
  SendMessageAck,
  SendMessagePayload,
} from '@palaver/client';
import { Type } from 'class-transformer';
import {
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

/**
 * The hard cap a DTO accepts for message text; the configured MESSAGE_MAX_LENGTH (at most this) is
 * enforced by MessagesService so it can be changed without a code change.
 */
export const MESSAGE_TEXT_HARD_CAP = 100_000;
export const HISTORY_PAGE_MAX = 100;
export const HISTORY_PAGE_DEFAULT = 50;

export class SendMessageBodyDto {
  @ApiProperty({ maxLength: MESSAGE_TEXT_HARD_CAP, description: 'At most MESSAGE_MAX_LENGTH characters' })
  @IsString()
  @MinLength(1)
  @MaxLength(MESSAGE_TEXT_HARD_CAP)
  text!: string;

  @ApiProperty({ pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'Retries reuse it; the first send wins' })
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, { message: 'clientMessageId must be 1-64 characters of A-Z a-z 0-9 _ -' })
  clientMessageId!: string;

  @ApiPropertyOptional({ description: 'Reply in the thread of this message (same room; not itself a reply)' })
  @IsOptional()
  @IsMongoId()
  threadRootId?: string;
}

export class SendMessageDto extends SendMessageBodyDto implements SendMessagePayload {
  @ApiProperty() @IsMongoId() roomId!: string;
}

export class EditMessageBodyDto {
  @ApiProperty({ maxLength: MESSAGE_TEXT_HARD_CAP })
  @IsString()
  @MinLength(1)
  @MaxLength(MESSAGE_TEXT_HARD_CAP)
  text!: string;
}

export class EditMessageDto extends EditMessageBodyDto implements EditMessagePayload {
  @ApiProperty() @IsMongoId() messageId!: string;
}

export class DeleteMessageDto implements DeleteMessagePayload {
  @ApiProperty() @IsMongoId() messageId!: string;
}

export class HistoryQueryDto {
  @ApiPropertyOptional({ description: 'Only messages with seq < before (nextBefore of the previous page)' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  before?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: HISTORY_PAGE_MAX, default: HISTORY_PAGE_DEFAULT })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(HISTORY_PAGE_MAX)
  limit?: number;
}

export class HistoryDto extends HistoryQueryDto implements HistoryPayload {
  @ApiProperty() @IsMongoId() roomId!: string;
}

export class MessageViewDto implements MessageView {
  @ApiProperty() id!: string;
  @ApiProperty() roomId!: string;
  @ApiProperty() seq!: number;
  @ApiProperty() changeSeq!: number;
  @ApiProperty() authorId!: string;
  @ApiProperty() authorUsername!: string;
  @ApiProperty({ description: 'Empty when deleted' }) text!: string;
  @ApiProperty() clientMessageId!: string;
  @ApiProperty() createdAt!: string;
  @ApiProperty({ type: String, nullable: true }) editedAt!: string | null;
  @ApiProperty() deleted!: boolean;
  @ApiProperty({ type: String, nullable: true }) deletedAt!: string | null;
}

export class SendMessageAckDto implements SendMessageAck {
  @ApiProperty() id!: string;
  @ApiProperty() seq!: number;
  @ApiProperty() changeSeq!: number;
  @ApiProperty() createdAt!: string;
  @ApiProperty({ description: 'true: this clientMessageId was stored before; nothing new was sent' })
  duplicate!: boolean;
}

export class MessageHistoryPageDto implements MessageHistoryPage {
  @ApiProperty({ type: [MessageViewDto], description: 'Newest first' }) messages!: MessageViewDto[];
  @ApiProperty({ type: Number, nullable: true }) nextBefore!: number | null;
}
