import { DynamicModule, Module, ModuleMetadata, Type } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { MessagesModule } from '../messages/messages.module';
import { RoomsModule } from '../rooms/rooms.module';
import { GridFsChunkRepository } from './gridfs-chunk.repository';
import { GrowingFileReader } from './growing-file-reader';
import { MediaAnnouncer } from './media-announcer.listener';
import { MediaDeliveryService } from './media-delivery.service';
import { MediaLinkService } from './media-link.service';
import { MediaInspector } from './media-inspector';
import { MediaSweeper } from './media-sweeper.service';
import { MediaUploadServer } from './media-upload.server';
import { MediaController } from './media.controller';
import { MediaRepository } from './media.repository';
import { MediaDocument, MediaSchema } from './media.schema';
import { MediaService } from './media.service';
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
        RoomsModule,
        MessagesModule,
        ...(options.imports ?? []),
      ],
      controllers: [MediaController],
      providers: [
        MediaRepository,
        GridFsChunkRepository,
        MediaInspector,
        MediaService,
        GrowingFileReader,
        MediaDeliveryService,
        MediaLinkService,
        MediaUploadServer,
        MediaSweeper,
        MediaAnnouncer,
        { provide: UploadPolicy, useClass: options.uploadPolicy ?? AllowAllUploadPolicy },
      ],
      exports: [MediaService],
    };
  }
}
