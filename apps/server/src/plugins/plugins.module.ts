import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { MediaDocument, MediaSchema } from '../media/media.schema';
import { UsersModule } from '../users/users.module';
import { CorePluginHostBackend } from './core-plugin-host.backend';
import { HookRunner } from './hook-runner';
import { PluginAfterHooksListener } from './plugin-after-hooks.listener';
import { PluginContextFactory } from './plugin-context.factory';
import { PluginHostBackend } from './plugin-host.backend';
import { PluginLoader } from './plugin-loader';
import { PluginMediaRepository } from './plugin-media.repository';
import { PluginMetrics } from './plugin-metrics';
import { PluginRegistry } from './plugin-registry';
import { PluginRoutesController } from './plugin-routes.controller';
import { PluginRoutesService } from './plugin-routes.service';
import { PluginUploadPolicy } from './plugin-upload.policy';
import { PluginsAdminController } from './plugins-admin.controller';
import { PluginsRepository } from './plugins.repository';
import {
  PluginKvDocument,
  PluginKvSchema,
  PluginStateDocument,
  PluginStateSchema,
  SanctionDocument,
  SanctionSchema,
} from './plugins.schema';
import { PluginsService } from './plugins.service';
import { SanctionsService } from './sanctions.service';

/**
 * The plugin host: loads plugins at boot, runs their hooks (HookRunner, exported for the services that
 * fire hooks), serves the admin API and plugins' own routes. Media binds PluginUploadPolicy from here.
 */
@Module({
  imports: [
    MongooseModule.forFeature([
      { name: PluginStateDocument.name, schema: PluginStateSchema },
      { name: PluginKvDocument.name, schema: PluginKvSchema },
      { name: SanctionDocument.name, schema: SanctionSchema },
      { name: MediaDocument.name, schema: MediaSchema },
    ]),
    UsersModule,
  ],
  controllers: [PluginsAdminController, PluginRoutesController],
  providers: [
    PluginRegistry,
    PluginMetrics,
    HookRunner,
    SanctionsService,
    PluginsRepository,
    PluginMediaRepository,
    PluginLoader,
    PluginContextFactory,
    { provide: PluginHostBackend, useClass: CorePluginHostBackend },
    PluginsService,
    PluginRoutesService,
    PluginUploadPolicy,
    PluginAfterHooksListener,
  ],
  exports: [HookRunner, PluginUploadPolicy, PluginsService],
})
export class PluginsModule {}
