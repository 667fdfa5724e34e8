import { Module, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Application } from 'express';
import { ADMIN_CONSOLE_PATH, adminConsoleRouter, WEB_APP_PATH, webAppRouter } from './admin-console.router';
import { StorageStatsController } from './storage-stats.controller';
import { StorageStatsRepository } from './storage-stats.repository';
import { StorageStatsService } from './storage-stats.service';

/**
 * The browser apps: the admin console (admin/dist) mounted at /admin and the members' chat app
 * (apps/web/dist) at /, on the Express instance, outside the /api prefix and after the app-wide
 * middleware (helmet, metrics) registered in createApp and the API routes; plus the one API only the
 * console needs, GET /api/admin/storage (dbStats/collStats).
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
    app.use(WEB_APP_PATH, webAppRouter());
  }
}
