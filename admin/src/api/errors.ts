import { PalaverApiError } from '@palaver/client';

/** A one-line message for any failure (API error body, network error, bug). */
export function errorMessage(err: unknown): string {
  if (err instanceof PalaverApiError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

/** The field a validation error names, without the DTO's wrapper prefix (e.g. `settings.`). */
export function errorField(err: unknown, prefix = ''): string | undefined {
  if (!(err instanceof PalaverApiError) || !err.field) return undefined;
  return err.field.startsWith(prefix) ? err.field.slice(prefix.length) : err.field;
}
