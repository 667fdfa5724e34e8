import type { PalaverClient } from '@palaver/client';

/** The storage-quota plugin's usage route (plugins/storage-quota); 0 in a limit means unlimited. */
export interface QuotaUsage {
  scope: 'user' | 'room';
  id: string;
  usage: { bytes: number; files: number };
  limits: { maxBytes: number; maxFiles: number };
}

export function quotaUsage(
  client: PalaverClient,
  scope: { userId: string } | { roomId: string },
): Promise<QuotaUsage> {
  return client.plugins.call('storage-quota', 'GET', '/usage', undefined, scope);
}
