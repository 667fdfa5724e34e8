import { ApiProperty } from '@nestjs/swagger';
import { MediaLinkView } from './media-link.service';

export class MediaLinkViewDto implements MediaLinkView {
  @ApiProperty({ example: '/api/media/0123456789abcdef0123456789abcdef?u=…&exp=…&sig=…' })
  url!: string;

  @ApiProperty({ type: String, nullable: true, description: 'Null until the file has a thumbnail' })
  thumbnailUrl!: string | null;

  @ApiProperty({ format: 'date-time' })
  expiresAt!: string;
}
