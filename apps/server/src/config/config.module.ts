import { DynamicModule, Global, Module } from '@nestjs/common';
import { AppConfig } from './app-config';

/** Where the data lives, decided at boot (MONGO_URL or the embedded docstore). */
export class StorageInfo {
  constructor(
    /** The URI mongoose connects to. */
    readonly mongoUrl: string,
    /** True when the server started the embedded docstore itself (single node). */
    readonly embedded: boolean,
  ) {}
}

/**
 * Provides the validated AppConfig (TOKEN_SECRET always set after boot: from the environment or
 * DATA_DIR/secret) and StorageInfo to every module.
 */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: AppConfig, storage: StorageInfo): DynamicModule {
    return {
      module: ConfigModule,
      providers: [
        { provide: AppConfig, useValue: config },
        { provide: StorageInfo, useValue: storage },
      ],
      exports: [AppConfig, StorageInfo],
    };
  }
}
