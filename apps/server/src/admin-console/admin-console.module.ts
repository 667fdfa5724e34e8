import { Module, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Application } from 'express';
import { ADMIN_CONSOLE_PATH, adminConsoleRouter } from './admin-console.router';
import { StorageStatsController } from './storage-stats.controller';
import { StorageStatsRepository } from './storage-stats.repository';
import { StorageStatsService } from './storage-stats.service';

/**
 * The admin console: the static SPA (admin/dist) mounted at /admin on the Express instance, outside the
 * /api prefix and after the app-wide middleware (helmet, metrics) registered in createApp; plus the one
 * API only the console needs, GET /api/admin/storage (dbStats/collStats).
 */
@Module({
  controllers: [StorageStatsController],
  providers: [StorageStatsService, StorageStatsRepository],
})
export class AdminConsoleModule implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const app = this.adapterHost.httpAdapter.getInstance<Application>();
    app.use(ADMIN_CONSOLE_PATH, adminConsoleRouter());
  }
}
