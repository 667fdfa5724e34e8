import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { StorageStatsView } from '@palaver/client';
import { Roles } from '../auth/roles.decorator';
import { StorageStatsService } from './storage-stats.service';

/** Database figures for the admin console's overview. */
@ApiTags('admin')
@Roles('admin')
@Controller('admin/storage')
export class StorageStatsController {
  constructor(private readonly stats: StorageStatsService) {}

  @Get()
  @ApiOkResponse({ description: 'dbStats totals and collStats per collection (bytes), largest first' })
  storage(): Promise<StorageStatsView> {
    return this.stats.storage();
  }
}
