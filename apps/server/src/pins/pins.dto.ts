import { ApiProperty } from '@nestjs/swagger';
import { IsMongoId } from 'class-validator';

export class PinMessageDto {
  @ApiProperty() @IsMongoId() messageId!: string;
}

export class PinListDto {
  @ApiProperty() @IsMongoId() roomId!: string;
}
