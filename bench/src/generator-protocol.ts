import type { LatencySummary } from './latency-histogram';

/** How the generator talks to one kind of server. */
export type WireKind = 'socketio' | 'ws';

/** One connection the generator opens. Connections with the same `group` share a room and its traffic. */
export interface ConnectionSpec {
  url: string;
  /** Socket.IO path (default /socket.io). */
  path?: string;
  group: string;
  /** Room id put in sent payloads (Palaver's room id; the baselines ignore it). */
  roomId: string;
  query?: Record<string, string>;
  auth?: Record<string, string>;
}

export interface ConnectCommand {
  cmd: 'connect';
  kind: WireKind;
  /** Which payload shapes to use (see message-codecs.ts). */
  codec: string;
  connections: ConnectionSpec[];
  /** Connection attempts in flight at once. */
  concurrency: number;
  timeoutMs: number;
}

export interface StepCommand {
  cmd: 'step';
  /** Aggregate messages sent per second over all groups; 0 = as fast as acks allow. */
  rate: number;
  /** With rate 0: messages awaiting an ack per group. */
  inflightPerGroup: number;
  durationMs: number;
  /** After sending stops, how long to wait for outstanding deliveries. */
  drainMs: number;
  bodyBytes: number;
}

export interface DisconnectCommand {
  cmd: 'disconnect';
}

export type GeneratorCommand = ConnectCommand | StepCommand | DisconnectCommand;

export interface ConnectResult {
  connected: number;
  failed: number;
  firstError?: string;
  seconds: number;
}

export interface StepResult {
  offeredRate: number;
  durationSeconds: number;
  sent: number;
  acked: number;
  ackErrors: number;
  firstAckError?: string;
  /** Deliveries of this step's messages (all receivers, sender included where the server echoes). */
  delivered: number;
  expectedDeliveries: number;
  /** Deliveries that arrived while sending, per second: the throughput figure. */
  deliveredPerSecond: number;
  sentPerSecond: number;
  ack: LatencySummary;
  deliver: LatencySummary;
  generatorCpuSeconds: number;
}

export type GeneratorRequest = GeneratorCommand & { requestId: number };
export type GeneratorReply =
  { requestId: number; ok: true; result: unknown } | { requestId: number; ok: false; error: string };
