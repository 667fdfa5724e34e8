import type { PalaverClient } from '@palaver/client';
import { DetailedError, Upload } from 'tus-js-client';

export interface TusUploadHandlers {
  onProgress(sent: number, total: number): void;
  onSuccess(): void;
  onError(message: string): void;
}

/** Refresh the access token this long before it expires, so an upload request never carries a stale one. */
const REFRESH_MARGIN_MS = 30_000;

/**
 * Uploads a file into a room through the server's tus endpoint (docs/media.md). The server announces
 * the file in the room itself (a message with the attachment) as soon as the upload is created, and
 * members can watch it while it arrives. Interrupted requests resume from the server's offset.
 */
export function startTusUpload(
  client: PalaverClient,
  roomId: string,
  file: File,
  handlers: TusUploadHandlers,
): { abort(): void } {
  let refreshNeeded = false;
  const upload = new Upload(file, {
    endpoint: `${client.baseUrl}/api/media/uploads`,
    metadata: { roomId, filename: file.name, type: file.type || 'application/octet-stream' },
    retryDelays: [0, 1000, 3000, 5000, 10_000],
    storeFingerprintForResuming: false,
    onBeforeRequest: async (req) => {
      const expiresAt = Date.parse(client.http.currentTokens?.accessTokenExpiresAt ?? '');
      if (refreshNeeded || (Number.isFinite(expiresAt) && expiresAt - Date.now() < REFRESH_MARGIN_MS)) {
        refreshNeeded = false;
        await client.refresh();
      }
      req.setHeader('Authorization', `Bearer ${client.accessToken ?? ''}`);
    },
    onShouldRetry: (err: DetailedError, attempt) => {
      const status = err.originalResponse?.getStatus() ?? 0;
      if (status === 401) {
        refreshNeeded = true;
        return attempt < 2;
      }
      // Network failures, conflicts on resume and server errors are retried; refusals are final.
      return status === 0 || status === 409 || status === 423 || status >= 500;
    },
    onProgress: (sent, total) => handlers.onProgress(sent, total),
    onSuccess: () => handlers.onSuccess(),
    onError: (err) => handlers.onError(tusErrorMessage(err)),
  });
  upload.start();
  return { abort: () => void upload.abort(true).catch(() => undefined) };
}

/** The server's `{ error: { message } }` when it sent one, else what tus-js-client says. */
function tusErrorMessage(err: Error | DetailedError): string {
  const body = 'originalResponse' in err ? err.originalResponse?.getBody() : undefined;
  if (body) {
    try {
      const parsed = JSON.parse(body) as { error?: { message?: string; field?: string } };
      if (parsed.error?.message) return parsed.error.message;
    } catch {
      /* not JSON */
    }
  }
  return 'originalResponse' in err && err.originalResponse
    ? `upload failed (HTTP ${err.originalResponse.getStatus()})`
    : 'upload failed: cannot reach the server';
}
