import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString } from 'class-validator';
import { MediaLinkCredentials } from './media-link.signer';
import { MediaLinkView } from './media-link.service';

/** The signed-link query of GET /api/media/:id and /:id/thumbnail; absent: the Bearer header is used. */
export class MediaLinkQueryDto implements MediaLinkCredentials {
  @ApiPropertyOptional({ description: 'Signed link: the user id the link was issued to' })
  @IsOptional()
  @IsString()
  u?: string;

  @ApiPropertyOptional({ description: 'Signed link: expiry, unix seconds' })
  @IsOptional()
  @IsString()
  exp?: string;

  @ApiPropertyOptional({ description: 'Signed link: base64url HMAC-SHA256 signature' })
  @IsOptional()
  @IsString()
  sig?: string;
}

export class MediaLinkViewDto implements MediaLinkView {
  @ApiProperty({ example: '/api/media/0123456789abcdef0123456789abcdef?u=…&exp=…&sig=…' })
  url!: string;

  @ApiProperty({ type: String, nullable: true, description: 'Null until the file has a thumbnail' })
  thumbnailUrl!: string | null;

  @ApiProperty({ format: 'date-time' })
  expiresAt!: string;
}
