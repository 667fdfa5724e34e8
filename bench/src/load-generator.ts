/**
 * The load generator: a child process (forked by generator-client.ts) holding every client connection,
 * so its CPU is separate from the harness and measurable. Commands arrive over IPC (generator-protocol.ts).
 */
import { performance } from 'node:perf_hooks';
import { io, type Socket } from 'socket.io-client';
import WebSocket from 'ws';
import type {
  ConnectCommand,
  ConnectResult,
  ConnectionSpec,
  GeneratorReply,
  GeneratorRequest,
  StepCommand,
  StepResult,
} from './generator-protocol';
import { LatencyHistogram } from './latency-histogram';
import { CODECS, readStamp, stampBody, type MessageCodec } from './message-codecs';

type AckHandler = (ack: unknown) => void;

/** One open client connection, whatever the wire. */
interface BenchConnection {
  spec: ConnectionSpec;
  send(body: string, seq: number, onAck: AckHandler): void;
  close(): void;
}

type DeliveryHandler = (body: string) => void;

function connectSocketIo(
  spec: ConnectionSpec,
  codec: MessageCodec,
  onDelivery: DeliveryHandler,
  timeoutMs: number,
) {
  return new Promise<BenchConnection>((resolve, reject) => {
    const socket: Socket = io(spec.url, {
      path: spec.path ?? '/socket.io',
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      timeout: timeoutMs,
      query: spec.query,
      auth: spec.auth,
    });
    socket.on(codec.deliverEvent, (payload: unknown) => {
      const body = codec.bodyOfDelivery(payload);
      if (body !== undefined) onDelivery(body);
    });
    socket.once('connect', () =>
      resolve({
        spec,
        send: (body, seq, onAck) =>
          socket.emit(codec.sendEvent, codec.encodeSend(spec.roomId, body, seq), onAck),
        close: () => socket.disconnect(),
      }),
    );
    socket.once('connect_error', (error: Error) => {
      socket.disconnect();
      reject(error);
    });
  });
}

function connectWs(spec: ConnectionSpec, onDelivery: DeliveryHandler, timeoutMs: number) {
  return new Promise<BenchConnection>((resolve, reject) => {
    const url = new URL(spec.url);
    for (const [key, value] of Object.entries(spec.query ?? {})) url.searchParams.set(key, value);
    const socket = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: timeoutMs });
    const pendingAcks = new Map<number, AckHandler>();
    let nextAckId = 0;
    socket.on('message', (data) => {
      const frame = JSON.parse(String(data)) as { t: string; id?: number; d?: { body?: unknown } };
      if (frame.t === 'msg' && typeof frame.d?.body === 'string') onDelivery(frame.d.body);
      else if (frame.t === 'ack' && frame.id !== undefined) {
        pendingAcks.get(frame.id)?.(frame.d);
        pendingAcks.delete(frame.id);
      }
    });
    socket.once('open', () =>
      resolve({
        spec,
        send: (body, _seq, onAck) => {
          const id = ++nextAckId;
          pendingAcks.set(id, onAck);
          socket.send(JSON.stringify({ t: 'send', id, d: { roomId: spec.roomId, body } }));
        },
        close: () => socket.close(),
      }),
    );
    socket.once('error', reject);
  });
}

class LoadGenerator {
  private connections: BenchConnection[] = [];
  private groups: BenchConnection[][] = [];
  private codec: MessageCodec = CODECS.bare!;
  private nextSeq = 0;
  /** Messages with seq >= this belong to the running step. */
  private stepFirstSeq = Number.MAX_SAFE_INTEGER;
  private readonly deliver = new LatencyHistogram();
  private readonly ack = new LatencyHistogram();
  private delivered = 0;
  private deliveredInWindow = 0;
  private sendingWindowOpen = false;

  private readonly onDelivery: DeliveryHandler = (body) => {
    const stamp = readStamp(body);
    if (!stamp || stamp.seq < this.stepFirstSeq) return;
    this.deliver.recordMs(performance.now() - stamp.sentAtMs);
    this.delivered++;
    if (this.sendingWindowOpen) this.deliveredInWindow++;
  };

  async connect(command: ConnectCommand): Promise<ConnectResult> {
    const codec = CODECS[command.codec];
    if (!codec) throw new Error(`unknown codec ${command.codec}`);
    this.codec = codec;
    const started = performance.now();
    let failed = 0;
    let firstError: string | undefined;
    let next = 0;
    const opened: BenchConnection[] = [];
    const worker = async () => {
      while (next < command.connections.length) {
        const spec = command.connections[next++]!;
        try {
          opened.push(
            command.kind === 'ws'
              ? await connectWs(spec, this.onDelivery, command.timeoutMs)
              : await connectSocketIo(spec, this.codec, this.onDelivery, command.timeoutMs),
          );
        } catch (error) {
          failed++;
          firstError ??= error instanceof Error ? error.message : String(error);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, command.concurrency) }, worker));
    this.connections.push(...opened);
    const byGroup = new Map<string, BenchConnection[]>();
    for (const connection of this.connections) {
      const list = byGroup.get(connection.spec.group) ?? [];
      list.push(connection);
      byGroup.set(connection.spec.group, list);
    }
    this.groups = [...byGroup.values()];
    return { connected: opened.length, failed, firstError, seconds: (performance.now() - started) / 1000 };
  }

  async step(command: StepCommand): Promise<StepResult> {
    if (this.groups.length === 0) throw new Error('no connections');
    this.deliver.reset();
    this.ack.reset();
    this.delivered = 0;
    this.deliveredInWindow = 0;
    this.stepFirstSeq = this.nextSeq;
    let sent = 0;
    let acked = 0;
    let ackErrors = 0;
    let firstAckError: string | undefined;
    let expectedDeliveries = 0;
    const senderIndex = this.groups.map(() => 0);
    const cpuBefore = process.cpuUsage();
    const sendOne = (groupIndex: number, onAcked?: () => void) => {
      const group = this.groups[groupIndex]!;
      const sender = group[senderIndex[groupIndex]!++ % group.length]!;
      const seq = this.nextSeq++;
      const sentAt = performance.now();
      sent++;
      expectedDeliveries += group.length;
      sender.send(stampBody(seq, sentAt, command.bodyBytes), seq, (response) => {
        const error = this.codec.ackError(response);
        if (error) {
          ackErrors++;
          firstAckError ??= error;
        } else {
          acked++;
          this.ack.recordMs(performance.now() - sentAt);
        }
        onAcked?.();
      });
    };

    const start = performance.now();
    const end = start + command.durationMs;
    this.sendingWindowOpen = true;
    if (command.rate > 0) {
      // Open loop: keep the cumulative count on schedule, whatever the server does.
      await new Promise<void>((resolve) => {
        let groupCursor = 0;
        const timer = setInterval(() => {
          const now = performance.now();
          const due = Math.floor((Math.min(now, end) - start) * (command.rate / 1000)) - sent;
          for (let i = 0; i < due; i++) sendOne(groupCursor++ % this.groups.length);
          if (now >= end) {
            clearInterval(timer);
            resolve();
          }
        }, 5);
      });
    } else {
      // Closed loop: each group keeps `inflightPerGroup` messages waiting for their ack.
      await new Promise<void>((resolve) => {
        const pump = (groupIndex: number) => {
          if (performance.now() < end) sendOne(groupIndex, () => pump(groupIndex));
        };
        this.groups.forEach((_, groupIndex) => {
          for (let i = 0; i < Math.max(1, command.inflightPerGroup); i++) pump(groupIndex);
        });
        setTimeout(resolve, command.durationMs);
      });
    }
    const windowSeconds = (performance.now() - start) / 1000;
    this.sendingWindowOpen = false;
    const deliveredInWindow = this.deliveredInWindow;
    const drainUntil = performance.now() + command.drainMs;
    while (
      performance.now() < drainUntil &&
      (this.delivered < expectedDeliveries || acked + ackErrors < sent)
    ) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const cpu = process.cpuUsage(cpuBefore);
    const result: StepResult = {
      offeredRate: command.rate,
      durationSeconds: windowSeconds,
      sent,
      acked,
      ackErrors,
      firstAckError,
      delivered: this.delivered,
      expectedDeliveries,
      deliveredPerSecond: deliveredInWindow / windowSeconds,
      sentPerSecond: sent / windowSeconds,
      ack: this.ack.summary(),
      deliver: this.deliver.summary(),
      generatorCpuSeconds: (cpu.user + cpu.system) / 1e6,
    };
    // Late deliveries of this step must not count towards the next one.
    this.stepFirstSeq = Number.MAX_SAFE_INTEGER;
    return result;
  }

  disconnect(): void {
    for (const connection of this.connections) connection.close();
    this.connections = [];
    this.groups = [];
  }
}

const generator = new LoadGenerator();

async function handle(request: GeneratorRequest): Promise<unknown> {
  switch (request.cmd) {
    case 'connect':
      return generator.connect(request);
    case 'step':
      return generator.step(request);
    case 'disconnect':
      generator.disconnect();
      return { disconnected: true };
  }
}

process.on('message', (request: GeneratorRequest) => {
  handle(request).then(
    (result) => process.send?.({ requestId: request.requestId, ok: true, result } satisfies GeneratorReply),
    (error: unknown) =>
      process.send?.({
        requestId: request.requestId,
        ok: false,
        error: error instanceof Error ? error.message : String(error),
      } satisfies GeneratorReply),
  );
});
process.on('disconnect', () => process.exit(0));
