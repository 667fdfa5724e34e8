import { DynamicModule, Module, ModuleMetadata, Type } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { GridFsChunkRepository } from './gridfs-chunk.repository';
import { MediaRepository } from './media.repository';
import { MediaDocument, MediaSchema } from './media.schema';
import { AllowAllUploadPolicy, UploadPolicy } from './upload-policy';

export interface MediaModuleOptions {
  /** The UploadPolicy to bind (the plugin host's); AllowAllUploadPolicy when absent. */
  uploadPolicy?: Type<UploadPolicy>;
  /** Modules the policy's own dependencies come from. */
  imports?: ModuleMetadata['imports'];
}

/**
 * Uploads streamed into GridFS (tus), live reads of growing files, Range serving, thumbnails.
 * Import as `MediaModule.forRoot()` (every upload within UPLOAD_MAX_BYTES allowed) or
 * `MediaModule.forRoot({ uploadPolicy: PluginUploadPolicy, imports: [PluginsModule] })`.
 */
@Module({})
export class MediaModule {
  static forRoot(options: MediaModuleOptions = {}): DynamicModule {
    return {
      module: MediaModule,
      imports: [
        MongooseModule.forFeature([{ name: MediaDocument.name, schema: MediaSchema }]),
        ...(options.imports ?? []),
      ],
      providers: [
        MediaRepository,
        GridFsChunkRepository,
        { provide: UploadPolicy, useClass: options.uploadPolicy ?? AllowAllUploadPolicy },
      ],
    };
  }
}
