import { Body, Controller, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { AuthUser } from '../auth/auth-user';
import { CurrentUser } from '../auth/current-user.decorator';
import { Roles } from '../auth/roles.decorator';
import { UpdatePluginSettingsDto } from './plugins.dto';
import { PluginsService, type PluginSettingsView, type PluginSummary } from './plugins.service';

/** Plugins for the admin console: status, failures and counters, enable/disable, settings. */
@ApiTags('admin')
@Roles('admin')
@Controller('admin/plugins')
export class PluginsAdminController {
  constructor(private readonly plugins: PluginsService) {}

  @Get()
  list(): { plugins: PluginSummary[] } {
    return { plugins: this.plugins.list() };
  }

  @Get(':id')
  get(@Param('id') id: string): PluginSummary {
    return this.plugins.get(id);
  }

  @Post(':id/enable')
  @HttpCode(200)
  enable(@CurrentUser() admin: AuthUser, @Param('id') id: string): Promise<PluginSummary> {
    return this.plugins.setEnabled(admin, id, true);
  }

  @Post(':id/disable')
  @HttpCode(200)
  disable(@CurrentUser() admin: AuthUser, @Param('id') id: string): Promise<PluginSummary> {
    return this.plugins.setEnabled(admin, id, false);
  }

  @Get(':id/settings')
  settings(@Param('id') id: string): PluginSettingsView {
    return this.plugins.settings(id);
  }

  @Put(':id/settings')
  updateSettings(
    @CurrentUser() admin: AuthUser,
    @Param('id') id: string,
    @Body() dto: UpdatePluginSettingsDto,
  ): Promise<PluginSettingsView> {
    return this.plugins.updateSettings(admin, id, dto.settings);
  }
}
