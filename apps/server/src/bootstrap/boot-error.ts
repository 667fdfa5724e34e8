/** A boot failure the operator can fix; main prints its one-line message (no stack) and exits 1. */
export class BootError extends Error {
  override name = 'BootError';
}
