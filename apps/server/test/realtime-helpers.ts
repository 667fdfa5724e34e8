import {
  MessageView,
  PalaverApiError,
  PalaverClient,
  PalaverSocketError,
  ServerEventName,
  ServerPayload,
} from '@palaver/client';
import assert from 'node:assert/strict';
import { waitFor } from './utils';

/** Everything a client's socket received of one event, in order. */
export function collect<E extends ServerEventName>(client: PalaverClient, event: E): ServerPayload<E>[] {
  const received: ServerPayload<E>[] = [];
  client.socket.on(event, (payload) => received.push(payload));
  return received;
}

/** Resolves with the first `event` whose payload matches, or rejects after `timeoutMs`. */
export function nextEvent<E extends ServerEventName>(
  client: PalaverClient,
  event: E,
  match: (payload: ServerPayload<E>) => boolean = () => true,
  timeoutMs = 5000,
): Promise<ServerPayload<E>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no ${event} within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = client.socket.on(event, (payload) => {
      if (!match(payload)) return;
      clearTimeout(timer);
      off();
      resolve(payload);
    });
  });
}

/** Asserts that `promise` fails with this error code (socket or HTTP) and, when given, field / status. */
export async function rejectsWith(
  promise: Promise<unknown>,
  expected: { code: string; field?: string; status?: number },
): Promise<void> {
  let caught: unknown;
  await promise.then(
    (value) => assert.fail(`expected ${expected.code}, got ${JSON.stringify(value)}`),
    (err: unknown) => (caught = err),
  );
  assert.ok(
    caught instanceof PalaverSocketError || caught instanceof PalaverApiError,
    `expected a Palaver error, got ${String(caught)}`,
  );
  assert.equal(caught.code, expected.code, caught.message);
  if (expected.field !== undefined) assert.equal(caught.field, expected.field, caught.message);
  if (expected.status !== undefined) {
    assert.ok(caught instanceof PalaverApiError);
    assert.equal(caught.status, expected.status, caught.message);
  }
}

/**
 * Waits until every client has seen a marker message sent after the messages under test. Socket.IO keeps
 * order per connection, so anything sent before the marker that was going to arrive has arrived.
 */
export async function settle(
  sender: PalaverClient,
  roomId: string,
  receivers: PalaverClient[],
): Promise<void> {
  const marker = `settle-${globalThis.crypto.randomUUID()}`;
  const seen = receivers.map((r) => nextEvent(r, 'message.created', (m) => m.text === marker));
  await sender.socket.send(roomId, marker);
  await Promise.all(seen);
}

/** The room's whole history as the server holds it, oldest first (paged through message:history). */
export async function serverHistory(client: PalaverClient, roomId: string): Promise<MessageView[]> {
  const all: MessageView[] = [];
  let before: number | undefined;
  for (;;) {
    const page = await client.socket.history({ roomId, limit: 100, ...(before ? { before } : {}) });
    all.push(...page.messages);
    if (page.nextBefore === null) return all.reverse();
    before = page.nextBefore;
  }
}

export { waitFor };
