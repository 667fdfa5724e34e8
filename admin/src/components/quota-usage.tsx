import type { QuotaUsage } from '../api/storage-quota';
import { formatBytes, formatLimit } from './format';

/** Upload usage against the storage-quota limits, with a meter for each limit that is set. */
export function QuotaUsageView({ quota }: { quota: QuotaUsage }) {
  const { usage, limits } = quota;
  return (
    <div className="quota">
      <p>
        Uploads: {formatBytes(usage.bytes)} in {usage.files} files (limits:{' '}
        {formatLimit(limits.maxBytes, formatBytes)}, {formatLimit(limits.maxFiles)} files)
      </p>
      {limits.maxBytes > 0 && (
        <label>
          Bytes used
          <meter min={0} max={limits.maxBytes} high={limits.maxBytes * 0.9} value={usage.bytes} />
        </label>
      )}
      {limits.maxFiles > 0 && (
        <label>
          Files used
          <meter min={0} max={limits.maxFiles} high={limits.maxFiles * 0.9} value={usage.files} />
        </label>
      )}
    </div>
  );
}
