/**
 * A fresh id for an idempotent send (`clientMessageId`): 32 random hex digits. Built from
 * `crypto.getRandomValues`, which browsers offer everywhere, unlike `crypto.randomUUID` (secure
 * contexts only: missing on plain-http origins other than localhost).
 */
export function newClientMessageId(): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16));
  let id = '';
  for (const byte of bytes) id += byte.toString(16).padStart(2, '0');
  return id;
}
