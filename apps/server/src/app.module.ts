import { DynamicModule, Module } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { MongooseModule } from '@nestjs/mongoose';
import { set as setMongooseOption } from 'mongoose';
import { AdminConsoleModule } from './admin-console/admin-console.module';
import { AuthModule } from './auth/auth.module';
import { CatchUpModule } from './catch-up/catch-up.module';
import { ClusterModule } from './cluster/cluster.module';
import { DomainEventsModule } from './common/domain-events.module';
import { AppConfig } from './config/app-config';
import { ConfigModule, StorageInfo } from './config/config.module';
import { HealthModule } from './health/health.module';
import { LoggingModule } from './logging/logging.module';
import { MediaModule } from './media/media.module';
import { MentionsModule } from './mentions/mentions.module';
import { MessagesModule } from './messages/messages.module';
import { PluginUploadPolicy } from './plugins/plugin-upload.policy';
import { PinsModule } from './pins/pins.module';
import { PluginsModule } from './plugins/plugins.module';
import { PresenceModule } from './presence/presence.module';
import { ReactionsModule } from './reactions/reactions.module';
import { ReadStateModule } from './read-state/read-state.module';
import { RealtimeModule } from './realtime/realtime.module';
import { RoomsModule } from './rooms/rooms.module';
import { SearchModule } from './search/search.module';
import { ThreadsModule } from './threads/threads.module';
import { UsersModule } from './users/users.module';

/** The database name inside MONGO_URL / the embedded docstore. */
export const DATABASE_NAME = 'palaver';

// Otherwise every query's exec() captures `new Error().stack`, kept only for the message of a query run
// twice: about 0.1 ms per query, 3.4 % of the CPU of the socket handshakes (docs/performance.md).
setMongooseOption('skipOriginalStackTraces', true);

@Module({})
export class AppModule {
  /** `config` is validated with TOKEN_SECRET resolved; `storage` says where mongoose connects. */
  static forRoot(config: AppConfig, storage: StorageInfo): DynamicModule {
    return {
      module: AppModule,
      imports: [
        // --- core infrastructure (app core, part A)
        ConfigModule.forRoot(config, storage),
        LoggingModule,
        EventEmitterModule.forRoot({ wildcard: false }),
        DomainEventsModule,
        ClusterModule,
        MongooseModule.forRootAsync({
          inject: [StorageInfo],
          useFactory: (info: StorageInfo) => ({
            uri: info.mongoUrl,
            dbName: DATABASE_NAME,
            serverSelectionTimeoutMS: 10_000,
            // An unreachable database fails boot after ~30 s with one line, instead of retrying for minutes.
            retryAttempts: 2,
            retryDelay: 1000,
          }),
        }),
        HealthModule,
        AuthModule,
        UsersModule,

        // --- rooms, messages, realtime (app core, part B)
        RoomsModule,
        MessagesModule,
        RealtimeModule,

        // --- media
        MediaModule.forRoot({ uploadPolicy: PluginUploadPolicy, imports: [PluginsModule] }),

        // --- conversations
        CatchUpModule,
        ReactionsModule,
        MentionsModule,
        ReadStateModule,
        PresenceModule,
        SearchModule,
        ThreadsModule,
        PinsModule,

        // --- plugins
        PluginsModule,

        // --- admin console (static SPA at /admin)
        AdminConsoleModule,
      ],
    };
  }
}
