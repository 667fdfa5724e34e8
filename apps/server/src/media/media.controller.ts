import { All, Controller, Get, Param, Req, Res, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AuthUser } from '../auth/auth-user';
import { AuthGuard } from '../auth/auth.guard';
import { CurrentUser } from '../auth/current-user.decorator';
import { MediaDeliveryService, MediaRequest, MediaResponse } from './media-delivery.service';
import { MediaUploadServer } from './media-upload.server';
import { MediaService, MediaView } from './media.service';

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

/** tus uploads (POST/HEAD/PATCH/DELETE under /api/media/uploads), then reads of files and thumbnails. */
@Controller('media')
@UseGuards(AuthGuard)
export class MediaController {
  constructor(
    private readonly uploads: MediaUploadServer,
    private readonly media: MediaService,
    private readonly delivery: MediaDeliveryService,
  ) {}

  @All(['uploads', 'uploads/:id'])
  async tus(@CurrentUser() user: AuthUser, @Req() req: Request, @Res() res: Response): Promise<void> {
    await this.uploads.handle(user, req, res);
  }

  @Get(':id/info')
  async info(@CurrentUser() user: AuthUser, @Param('id') id: string): Promise<MediaView> {
    return this.media.describe(user, id);
  }

  @Get(':id/thumbnail')
  async thumbnail(
    @CurrentUser() user: AuthUser,
    @Param('id') id: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    await send(res, await this.delivery.thumbnail(user, id, mediaRequest(req, res)));
  }

  @Get(':id')
  async file(
    @CurrentUser() user: AuthUser,
    @Param('id') id: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    await send(res, await this.delivery.file(user, id, mediaRequest(req, res)));
  }
}
