import { PalaverApiError, PalaverSocketError } from '@palaver/client';

/** A failure as members should read it: the server's message, the field it names, when to retry. */
export function describeError(err: unknown): string {
  if (err instanceof PalaverApiError || err instanceof PalaverSocketError) {
    if (err.code === 'rate_limited') {
      const seconds = Math.max(1, Math.ceil((err.retryAfterMs ?? 1000) / 1000));
      return `${err.message} — try again in ${seconds} s`;
    }
    if (err.code === 'timeout')
      return 'The server did not answer in time; check your connection and try again';
    if (err instanceof PalaverApiError && err.code === 'http_error' && err.status >= 500)
      return `The server failed (${err.status}); try again later`;
    return err.field && !err.message.includes(err.field) ? `${err.field}: ${err.message}` : err.message;
  }
  if (err instanceof TypeError) return 'Cannot reach the server; check your connection';
  return err instanceof Error ? err.message : String(err);
}

/** The input field a failure is about, if the server named one. */
export function errorField(err: unknown): string | undefined {
  return err instanceof PalaverApiError || err instanceof PalaverSocketError ? err.field : undefined;
}
