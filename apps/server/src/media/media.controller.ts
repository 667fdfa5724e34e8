import { All, applyDecorators, Controller, Get, Param, Query, Req, Res, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiExcludeEndpoint,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiProduces,
  ApiQuery,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AuthUser } from '../auth/auth-user';
import { AuthGuard } from '../auth/auth.guard';
import { CurrentUser } from '../auth/current-user.decorator';
import { MediaDeliveryService, MediaRequest, MediaResponse } from './media-delivery.service';
import { MediaLinkService, MediaLinkView } from './media-link.service';
import { MediaReadGuard } from './media-read.guard';
import { MediaLinkViewDto } from './media.dto';
import { MediaUploadServer } from './media-upload.server';
import { MediaService, MediaView } from './media.service';

/** The signed-link query in Swagger; the query is read as plain strings so other parameters stay ignored. */
function ApiSignedLinkQuery(): MethodDecorator {
  return applyDecorators(
    ApiQuery({ name: 'u', required: false, description: 'Signed link: the user it was issued to' }),
    ApiQuery({ name: 'exp', required: false, description: 'Signed link: expiry, unix seconds' }),
    ApiQuery({ name: 'sig', required: false, description: 'Signed link: base64url HMAC-SHA256' }),
  );
}

function mediaRequest(req: Request, res: Response): MediaRequest {
  const aborted = new AbortController();
  res.once('close', () => aborted.abort());
  return {
    method: req.method,
    range: req.headers.range,
    ifNoneMatch: req.headers['if-none-match'],
    ifRange: req.headers['if-range'] as string | undefined,
    signal: aborted.signal,
  };
}

async function send(res: Response, out: MediaResponse): Promise<void> {
  res.status(out.status);
  for (const [name, value] of Object.entries(out.headers)) res.setHeader(name, value);
  if (!out.body) {
    res.end();
    return;
  }
  // Headers go out now: a growing file may not have its next byte for a while.
  res.flushHeaders();
  // A reader that disconnects ends the pipeline; that is not a server error.
  await pipeline(Readable.from(out.body, { objectMode: false }), res).catch(() => undefined);
}

/**
 * tus uploads (POST/HEAD/PATCH/DELETE under /api/media/uploads), then reads of files and thumbnails,
 * which take either the Bearer header or a signed link from GET :id/link (for `<video src>`).
 */
@ApiTags('media')
@ApiBearerAuth()
@Controller('media')
export class MediaController {
  constructor(
    private readonly uploads: MediaUploadServer,
    private readonly media: MediaService,
    private readonly delivery: MediaDeliveryService,
    private readonly links: MediaLinkService,
  ) {}

  @ApiExcludeEndpoint()
  @UseGuards(AuthGuard)
  @All(['uploads', 'uploads/:id'])
  async tus(@CurrentUser() user: AuthUser, @Req() req: Request, @Res() res: Response): Promise<void> {
    await this.uploads.handle(user, req, res);
  }

  @UseGuards(AuthGuard)
  @Get(':id/info')
  async info(@CurrentUser() user: AuthUser, @Param('id') id: string): Promise<MediaView> {
    return this.media.describe(user, id);
  }

  @UseGuards(AuthGuard)
  @Get(':id/link')
  @ApiOkResponse({
    type: MediaLinkViewDto,
    description: 'Signed URLs for the file and its thumbnail, usable without a header for a few minutes',
  })
  async link(@CurrentUser() user: AuthUser, @Param('id') id: string): Promise<MediaLinkView> {
    return this.links.issue(user, id);
  }

  @UseGuards(MediaReadGuard)
  @Get(':id/thumbnail')
  @ApiProduces('image/webp')
  @ApiSignedLinkQuery()
  @ApiOkResponse({ description: 'The thumbnail (Bearer header or signed link)' })
  @ApiUnauthorizedResponse({ description: 'No credentials, or the signed link expired' })
  @ApiForbiddenResponse({ description: 'The signature does not match this media id' })
  async thumbnail(
    @Req() req: Request & { user?: AuthUser },
    @Param('id') id: string,
    @Query() query: Record<string, unknown>,
    @Res() res: Response,
  ): Promise<void> {
    const reader = this.links.reader(req.user, id, query);
    await send(res, await this.delivery.thumbnail(reader, id, mediaRequest(req, res)));
  }

  @UseGuards(MediaReadGuard)
  @Get(':id')
  @ApiSignedLinkQuery()
  @ApiOkResponse({
    description: 'The file: Range, ETag, live reads while uploading (Bearer header or signed link)',
  })
  @ApiUnauthorizedResponse({ description: 'No credentials, or the signed link expired' })
  @ApiForbiddenResponse({ description: 'The signature does not match this media id' })
  async file(
    @Req() req: Request & { user?: AuthUser },
    @Param('id') id: string,
    @Query() query: Record<string, unknown>,
    @Res() res: Response,
  ): Promise<void> {
    const reader = this.links.reader(req.user, id, query);
    await send(res, await this.delivery.file(reader, id, mediaRequest(req, res)));
  }
}
