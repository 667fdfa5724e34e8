import { All, Body, Controller, Param, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { AuthUser } from '../auth/auth-user';
import { AuthGuard } from '../auth/auth.guard';
import { CurrentUser } from '../auth/current-user.decorator';
import { PluginRoutesService } from './plugin-routes.service';

/** Routes declared by plugins; each plugin validates its own bodies against the JSON Schema it declared. */
@ApiTags('plugins')
@ApiBearerAuth()
@UseGuards(AuthGuard)
@Controller('plugins')
export class PluginRoutesController {
  constructor(private readonly routes: PluginRoutesService) {}

  @All(':pluginId/*path')
  handle(
    @CurrentUser() user: AuthUser,
    @Param('pluginId') pluginId: string,
    @Param('path') path: string[] | string,
    @Query() query: Record<string, unknown>,
    @Body() body: unknown,
    @Req() req: Request,
  ): Promise<unknown> {
    const subPath = `/${Array.isArray(path) ? path.join('/') : path}`;
    return this.routes.dispatch(user, pluginId, { method: req.method, path: subPath, query, body });
  }
}
