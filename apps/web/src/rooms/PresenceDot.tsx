import type { PresenceStatus } from '@palaver/client';

export function PresenceDot({ status }: { status: PresenceStatus }) {
  return <span className={`presence presence-${status}`} role="img" aria-label={status} title={status} />;
}
