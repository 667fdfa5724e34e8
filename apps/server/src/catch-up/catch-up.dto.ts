import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { MerkleReconcilePayload, SyncPayload } from '@palaver/client';
import { MERKLE_BUCKET_SIZE, MERKLE_BUCKETS_MAX } from '@palaver/client';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsInt,
  IsMongoId,
  IsObject,
  IsOptional,
  Matches,
  Max,
  Min,
  ValidateBy,
  ValidationOptions,
} from 'class-validator';

export const SYNC_PAGE_DEFAULT = 200;
export const SYNC_PAGE_MAX = 500;
/** More rooms than anyone is a member of; bounds the work one request can ask for. */
export const SYNC_ROOMS_MAX = 1000;

const ROOM_ID = /^[0-9a-f]{24}$/;
const HASH = /^[0-9a-f]{16}$/;

/** `{ [roomId]: changeSeq }`: room ids are ObjectIds, cursors non-negative safe integers. */
function IsCursorMap(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isCursorMap',
      validator: {
        validate: (value: unknown) => {
          if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
          const entries = Object.entries(value);
          return (
            entries.length <= SYNC_ROOMS_MAX &&
            entries.every(
              ([roomId, cursor]) =>
                ROOM_ID.test(roomId) && Number.isSafeInteger(cursor) && (cursor as number) >= 0,
            )
          );
        },
        defaultMessage: () =>
          `rooms must map at most ${SYNC_ROOMS_MAX} room ids to non-negative integer changeSeq cursors`,
      },
    },
    options,
  );
}

export class SyncDto implements SyncPayload {
  @ApiProperty({ description: '{ [roomId]: the highest changeSeq the client has applied (0: none) }' })
  @IsObject()
  @IsCursorMap()
  rooms!: Record<string, number>;

  @ApiPropertyOptional({ minimum: 1, maximum: SYNC_PAGE_MAX, default: SYNC_PAGE_DEFAULT })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(SYNC_PAGE_MAX)
  limit?: number;
}

export class MerkleReconcileDto implements MerkleReconcilePayload {
  @ApiProperty() @IsMongoId() roomId!: string;

  @ApiProperty({ minimum: 0 })
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER / MERKLE_BUCKET_SIZE)
  fromBucket!: number;

  @ApiProperty({ type: [String], maxItems: MERKLE_BUCKETS_MAX })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MERKLE_BUCKETS_MAX)
  @Matches(HASH, { each: true, message: 'each bucket hash must be 16 lower-case hex characters' })
  buckets!: string[];

  @ApiProperty() @Matches(HASH, { message: 'root must be 16 lower-case hex characters' }) root!: string;
}
