/**
 * Fixed-rate room fan-out load for the cluster benchmark: every client is a member of one room; senders
 * take turns emitting at the offered rate; every member records the latency of every delivery (sender
 * and receivers live in this process, so one clock). Works for bare Socket.IO nodes and Palaver nodes.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { LatencyHistogram, LatencySummary } from './latency-histogram';

/** One connected member, whatever the server behind it. */
export interface FanoutClient {
  /** Sends a message stamped with `sentAt` (performance.now()); resolves on the server's ack. */
  send(sentAt: number): Promise<void>;
  /** Sets (replaces) the delivery handler, called with the stamp of each message this client receives. */
  onDelivery(handler: (sentAt: number) => void): void;
  close(): Promise<void> | void;
}

export interface StageResult {
  offeredPerSecond: number;
  sent: number;
  acked: number;
  failed: number;
  /** Deliveries per second actually received by all clients together. */
  deliveredPerSecond: number;
  /** Deliveries expected: sent × members. */
  expectedDeliveries: number;
  deliveries: number;
  latency: LatencySummary;
}

/** Sends `ratePerSecond` messages for `seconds`, waits up to 3 s for stragglers, and reports. */
export async function runStage(
  clients: FanoutClient[],
  ratePerSecond: number,
  seconds: number,
): Promise<StageResult> {
  const histogram = new LatencyHistogram();
  let deliveries = 0;
  let recording = true;
  let lastDeliveryAt = 0;
  const handler = (sentAt: number) => {
    if (!recording) return;
    deliveries++;
    lastDeliveryAt = performance.now();
    histogram.recordMs(lastDeliveryAt - sentAt);
  };
  for (const client of clients) client.onDelivery(handler);

  let sent = 0;
  let acked = 0;
  let failed = 0;
  const started = performance.now();
  const tickMs = 10;
  const pending: Promise<void>[] = [];
  while (performance.now() - started < seconds * 1000) {
    const due = Math.floor(((performance.now() - started) / 1000) * ratePerSecond);
    while (sent < due) {
      const client = clients[sent % clients.length]!;
      sent++;
      pending.push(
        client.send(performance.now()).then(
          () => void acked++,
          () => void failed++,
        ),
      );
    }
    await sleep(tickMs);
  }
  const expectedDeliveries = sent * clients.length;
  const drainDeadline = performance.now() + 3000;
  while (deliveries < expectedDeliveries && performance.now() < drainDeadline) await sleep(20);
  await Promise.race([Promise.allSettled(pending), sleep(3000)]);
  recording = false;
  const elapsedMs = Math.max(1, lastDeliveryAt - started);
  return {
    offeredPerSecond: ratePerSecond,
    sent,
    acked,
    failed,
    deliveredPerSecond: Math.round((deliveries / elapsedMs) * 1000),
    expectedDeliveries,
    deliveries,
    latency: histogram.summary(),
  };
}

/**
 * Closed loop: `senders` clients each send, wait for the ack, send again, for `seconds`. Measures what
 * the servers carry at saturation (offeredPerSecond reports the achieved send rate).
 */
export async function runSaturated(
  clients: FanoutClient[],
  senders: number,
  seconds: number,
): Promise<StageResult> {
  const histogram = new LatencyHistogram();
  let deliveries = 0;
  let recording = true;
  let lastDeliveryAt = 0;
  for (const client of clients) {
    client.onDelivery((sentAt) => {
      if (!recording) return;
      deliveries++;
      lastDeliveryAt = performance.now();
      histogram.recordMs(lastDeliveryAt - sentAt);
    });
  }
  let sent = 0;
  let acked = 0;
  let failed = 0;
  const started = performance.now();
  const until = started + seconds * 1000;
  await Promise.all(
    clients.slice(0, senders).map(async (client) => {
      while (performance.now() < until) {
        sent++;
        try {
          await client.send(performance.now());
          acked++;
        } catch {
          failed++;
        }
      }
    }),
  );
  const sendingMs = performance.now() - started;
  const expectedDeliveries = sent * clients.length;
  const drainDeadline = performance.now() + 3000;
  while (deliveries < expectedDeliveries && performance.now() < drainDeadline) await sleep(20);
  recording = false;
  return {
    offeredPerSecond: Math.round((acked / sendingMs) * 1000),
    sent,
    acked,
    failed,
    deliveredPerSecond: Math.round((deliveries / Math.max(1, lastDeliveryAt - started)) * 1000),
    expectedDeliveries,
    deliveries,
    latency: histogram.summary(),
  };
}
