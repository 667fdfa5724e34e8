import { performance } from 'node:perf_hooks';
import { io, type Socket } from 'socket.io-client';
import { formatNumber, markdownTable, percentile } from '../report-format';
import { inBatches, registerUsers, startPalaverServer, type PalaverServer } from '../targets/palaver-target';
import type { Scenario, ScenarioOptions, ScenarioOutput } from './scenario';

interface MessageLike {
  id: string;
  seq: number;
}

interface HistoryPage {
  messages: MessageLike[];
  nextBefore: number | null;
}

export interface ReaderCatchUp {
  reader: string;
  missed: number;
  received: number;
  pages: number;
  connectMs: number;
  /** From starting to reconnect until every missed message is in hand. */
  totalMs: number;
}

export interface CatchUpDetail {
  missed: number;
  readers: ReaderCatchUp[];
  sendSeconds: number;
  totalMs: { p50: number; p95: number; max: number };
  error?: string;
}

async function connect(url: string, token: string): Promise<Socket> {
  const socket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { token } });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  return socket;
}

async function request<T>(socket: Socket, event: string, payload: object): Promise<T> {
  const ack = (await socket.timeout(30_000).emitWithAck(event, payload)) as
    T | { error: { message: string } };
  if (ack && typeof ack === 'object' && 'error' in ack) throw new Error(`${event}: ${ack.error.message}`);
  return ack as T;
}

/**
 * Pages `message:history` newest-first until it reaches `lastSeenSeq`; the history API is the catch-up
 * path until a replay on reconnect exists.
 */
export async function fetchMissed(
  socket: Socket,
  roomId: string,
  lastSeenSeq: number,
): Promise<{ messages: MessageLike[]; pages: number }> {
  const messages: MessageLike[] = [];
  let before: number | undefined;
  let pages = 0;
  for (;;) {
    const page = await request<HistoryPage>(socket, 'message:history', {
      roomId,
      limit: 100,
      ...(before ? { before } : {}),
    });
    pages++;
    const newer = page.messages.filter((m) => m.seq > lastSeenSeq);
    messages.push(...newer);
    if (newer.length < page.messages.length || page.nextBefore === null) break;
    before = page.nextBefore;
  }
  return { messages: messages.sort((a, b) => a.seq - b.seq), pages };
}

async function runCatchUp(options: ScenarioOptions): Promise<ScenarioOutput<CatchUpDetail>> {
  const missed = options.overrides.missed ?? 1000;
  const readerCount = options.overrides.readers ?? (options.quick ? 2 : 10);
  const notes = [
    `${readerCount} readers see a live message, disconnect, miss ${missed} messages sent by another member, ` +
      'then reconnect and page `message:history` (100 per page) back to the last message they saw; the time ' +
      'runs from the reconnect to the last missed message in hand. Palaver only: the baselines keep no history.',
  ];
  const detail: CatchUpDetail = { missed, readers: [], sendSeconds: 0, totalMs: { p50: 0, p95: 0, max: 0 } };
  let palaver: PalaverServer | undefined;
  const sockets: Socket[] = [];
  try {
    palaver = await startPalaverServer();
    const url = palaver.url;
    const [sender, ...readers] = await registerUsers(url, readerCount + 1, 'catchup');
    const senderSocket = await connect(url, sender!.token);
    sockets.push(senderSocket);
    const room = await request<{ id: string }>(senderSocket, 'room:create', {
      name: 'catch-up',
      kind: 'public',
    });
    const readerSockets = await inBatches(readers, 8, async (reader) => {
      const socket = await connect(url, reader.token);
      await request(socket, 'room:join', { roomId: room.id });
      return socket;
    });
    sockets.push(...readerSockets);
    // One live message: each reader's last seen seq.
    const seen = readerSockets.map(
      (socket) =>
        new Promise<number>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('live message not delivered within 10 s')), 10_000);
          socket.once('message.created', (message: MessageLike) => {
            clearTimeout(timer);
            resolve(message.seq);
          });
        }),
    );
    await request(senderSocket, 'message:send', {
      roomId: room.id,
      text: 'before the gap',
      clientMessageId: 'gap-0',
    });
    const lastSeen = await Promise.all(seen);
    for (const socket of readerSockets) socket.disconnect();
    const sendStarted = performance.now();
    // The gap: sent with 16 messages awaiting their ack at a time.
    await inBatches(
      Array.from({ length: missed }, (_, i) => i),
      16,
      (i) =>
        request(senderSocket, 'message:send', {
          roomId: room.id,
          text: `missed message ${i}`,
          clientMessageId: `gap-${i + 1}`,
        }),
    );
    detail.sendSeconds = (performance.now() - sendStarted) / 1000;
    options.log(
      `  sent ${missed} messages in ${detail.sendSeconds.toFixed(1)} s while ${readerCount} readers were away`,
    );
    detail.readers = await Promise.all(
      readers.map(async (reader, i) => {
        const started = performance.now();
        const socket = await connect(url, reader.token);
        sockets.push(socket);
        const connectMs = performance.now() - started;
        const { messages, pages } = await fetchMissed(socket, room.id, lastSeen[i]!);
        const totalMs = performance.now() - started;
        if (new Set(messages.map((m) => m.id)).size !== messages.length)
          throw new Error('duplicate messages in history');
        return { reader: reader.username, missed, received: messages.length, pages, connectMs, totalMs };
      }),
    );
    const totals = detail.readers.map((r) => r.totalMs);
    detail.totalMs = {
      p50: percentile(totals, 50)!,
      p95: percentile(totals, 95)!,
      max: percentile(totals, 100)!,
    };
    const short = detail.readers.filter((r) => r.received !== missed);
    if (short.length > 0)
      detail.error = `${short.length} readers got ${short[0]!.received} of ${missed} messages`;
    options.log(
      `  caught up: p50 ${formatNumber(detail.totalMs.p50)} ms, max ${formatNumber(detail.totalMs.max)} ms`,
    );
  } catch (error) {
    detail.error = error instanceof Error ? error.message : String(error);
    options.log(`  catch-up failed: ${detail.error}`);
  } finally {
    for (const socket of sockets) socket.disconnect();
    await palaver?.stop();
  }
  return {
    parameters: { missed, readers: readerCount },
    notes,
    detail,
    markdown: catchUpMarkdown(detail),
  };
}

function catchUpMarkdown(detail: CatchUpDetail): string {
  const table = markdownTable(
    [
      'readers',
      'missed each',
      'received each',
      'pages each',
      'sender msgs/s (16 awaiting ack)',
      'reconnect ms p50',
      'caught up ms p50',
      'p95',
      'max',
    ],
    [
      [
        String(detail.readers.length),
        String(detail.missed),
        detail.error ?? String(detail.readers[0]?.received ?? '—'),
        String(detail.readers[0]?.pages ?? '—'),
        formatNumber(detail.sendSeconds > 0 ? detail.missed / detail.sendSeconds : undefined),
        formatNumber(
          percentile(
            detail.readers.map((r) => r.connectMs),
            50,
          ),
        ),
        formatNumber(detail.totalMs.p50),
        formatNumber(detail.totalMs.p95),
        formatNumber(detail.totalMs.max),
      ],
    ],
  );
  return `### Catch-up after missing ${detail.missed} messages (Palaver)\n\n${table}\n`;
}

export const catchUpScenario: Scenario = {
  name: 'catch-up',
  summary: 'readers reconnect after missing 1,000 messages: time until fully caught up (Palaver only)',
  render: (run) => ({ markdown: catchUpMarkdown(run.detail as CatchUpDetail) }),
  run: runCatchUp,
};
