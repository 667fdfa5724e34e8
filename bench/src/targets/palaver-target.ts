import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PalaverClient } from '@palaver/client';
import { io } from 'socket.io-client';
import type { ConnectionSpec } from '../generator-protocol';
import type { BenchTarget, RunningTarget, TargetPlan } from './bench-target';
import { ProbedServer } from './probed-server';

/**
 * The server's entry point. PALAVER_BENCH_SERVER_MAIN points a run at another build (a copy of an
 * earlier apps/server/dist kept inside the repository, so its packages resolve), for before/after runs
 * back to back.
 */
const MAIN =
  process.env.PALAVER_BENCH_SERVER_MAIN ??
  join(__dirname, '..', '..', '..', '..', 'apps', 'server', 'dist', 'src', 'main.js');
const PASSWORD = 'bench-password-1';

/** Users registered per run: connections are spread over them (a user may hold several sockets). */
export const DEFAULT_USERS = 100;

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address !== 'object') throw new Error('no free port');
  return address.port;
}

async function waitUntilReady(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${url}/health/ready`);
      if (response.ok) return;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`Palaver not ready at ${url} within ${timeoutMs} ms (${last})`);
}

/** Runs `task` over `items` with at most `limit` in flight. */
export async function inBatches<T, R>(
  items: T[],
  limit: number,
  task: (item: T, index: number) => Promise<R>,
) {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** One socket-level request (room:create / room:join) with the ack checked. */
async function socketRequest(
  url: string,
  token: string,
  event: string,
  payload: object,
): Promise<{ id: string }> {
  const socket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { token } });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
    const ack = (await socket.timeout(15_000).emitWithAck(event, payload)) as {
      id?: string;
      error?: unknown;
    };
    if (!ack || typeof ack.id !== 'string') throw new Error(`${event} failed: ${JSON.stringify(ack)}`);
    return { id: ack.id };
  } finally {
    socket.disconnect();
  }
}

export interface PalaverServer {
  url: string;
  server: ProbedServer;
  dataDir: string;
  stop(): Promise<void>;
}

/** `node apps/server/dist/src/main.js` on the embedded docstore in a temp DATA_DIR. */
export async function startPalaverServer(): Promise<PalaverServer> {
  const port = await freePort();
  const dataDir = await mkdtemp(join(tmpdir(), 'palaver-bench-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    REGISTRATION_OPEN: 'true',
    REGISTRATIONS_PER_IP_PER_HOUR: '0',
    // Long enough that no token expires during a run.
    ACCESS_TOKEN_TTL_SECONDS: '86400',
  };
  delete env.MONGO_URL;
  delete env.REDIS_URL;
  delete env.METRICS_PORT;
  const server = ProbedServer.fork(MAIN, env);
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    await server.whileAlive(waitUntilReady(url, 60_000));
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, server, dataDir, stop };
}

export interface BenchUser {
  username: string;
  userId: string;
  token: string;
}

export async function registerUsers(url: string, count: number, prefix = 'bench'): Promise<BenchUser[]> {
  return inBatches(
    Array.from({ length: count }, (_, i) => `${prefix}${i}`),
    4,
    async (username) => {
      const client = new PalaverClient({ baseUrl: url });
      const result = await client.register(username, PASSWORD);
      return { username, userId: result.user.id, token: result.accessToken };
    },
  );
}

/** Room r is created by user r; every other user u joins room u mod rooms. Returns room ids. */
export async function createRooms(url: string, users: BenchUser[], rooms: number): Promise<string[]> {
  const roomIds = await inBatches(users.slice(0, rooms), 4, async (user, r) => {
    const room = await socketRequest(url, user.token, 'room:create', { name: `bench-${r}`, kind: 'public' });
    return room.id;
  });
  await inBatches(users.slice(rooms), 8, (user, i) =>
    socketRequest(url, user.token, 'room:join', { roomId: roomIds[(i + rooms) % rooms]! }),
  );
  return roomIds;
}

export const palaverTarget: BenchTarget = {
  name: 'palaver',
  description: 'apps/server main.js, embedded docstore, authenticated users, persisted messages',
  async start(plan: TargetPlan): Promise<RunningTarget> {
    const palaver = await startPalaverServer();
    try {
      const userCount = Math.max(plan.rooms, Math.min(plan.users ?? DEFAULT_USERS, plan.connections));
      const users = await registerUsers(palaver.url, userCount);
      const roomIds = await createRooms(palaver.url, users, plan.rooms);
      // Connection i belongs to user i mod users, who is a member of room (user index) mod rooms only.
      const connections: ConnectionSpec[] = Array.from({ length: plan.connections }, (_, i) => {
        const userIndex = i % users.length;
        const roomId = roomIds[userIndex % plan.rooms]!;
        return { url: palaver.url, group: roomId, roomId, auth: { token: users[userIndex]!.token } };
      });
      return {
        name: 'palaver',
        pid: palaver.server.pid,
        kind: 'socketio',
        codec: 'palaver',
        connections,
        cpuSeconds: () => palaver.server.cpuSeconds(),
        memory: (gc) => palaver.server.memory(gc),
        startProfile: () => palaver.server.startProfile(),
        stopProfile: (path) => palaver.server.stopProfile(path),
        heapSnapshot: (path) => palaver.server.heapSnapshot(path),
        stop: () => palaver.stop(),
      };
    } catch (error) {
      await palaver.stop();
      throw error;
    }
  },
};
