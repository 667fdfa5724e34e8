/**
 * Part 2 of bench:cluster: real Palaver processes (startCluster from the e2e helpers: docstore CLI,
 * redis-server, `node apps/server/dist/src/main.js`), one node alone vs two nodes + Redis. Every
 * client is a registered member of one public room; sends go through `message:send` with acks (stored
 * in the docstore before the fan-out), deliveries are `message.created` events.
 */
import { randomUUID } from 'node:crypto';
import { PalaverClient, isErrorAck, type MessageView } from '@palaver/client';
import { startCluster, type TestCluster } from '@palaver/e2e/dist/support/cluster';
import type { RedisServerHandle } from '@palaver/e2e/dist/support/redis-server';
import { io, type Socket } from 'socket.io-client';
import type { FanoutClient } from './cluster-load';
import type { BenchSettings, ClusterBenchRow } from './cluster.bench';

type Measure = (
  part: ClusterBenchRow['part'],
  target: string,
  nodes: number,
  clients: FanoutClient[],
  config: BenchSettings,
  redis: RedisServerHandle | undefined,
) => Promise<ClusterBenchRow[]>;

async function emitWithAck(socket: Socket, event: string, payload: unknown): Promise<unknown> {
  const result: unknown = await socket.timeout(10_000).emitWithAck(event, payload);
  if (isErrorAck(result)) throw new Error(`${event}: ${result.error.code} ${result.error.message}`);
  return result;
}

async function connectMember(url: string, client: PalaverClient): Promise<Socket> {
  const socket = io(url, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    auth: { token: client.accessToken },
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return socket;
}

/** Registers `count` members spread over the nodes, all in one room; returns them as FanoutClients. */
async function roomOfMembers(cluster: TestCluster, count: number): Promise<FanoutClient[]> {
  const sockets: Socket[] = [];
  let roomId = '';
  for (let i = 0; i < count; i++) {
    const url = cluster.nodes[i % cluster.nodes.length]!.url;
    const client = new PalaverClient(url);
    await client.register(`bench-${i}-${randomUUID().slice(0, 6)}`, 'bench password 1234');
    const socket = await connectMember(url, client);
    if (i === 0)
      roomId = (
        (await emitWithAck(socket, 'room:create', { name: 'bench', kind: 'public' })) as { id: string }
      ).id;
    else await emitWithAck(socket, 'room:join', { roomId });
    sockets.push(socket);
  }
  return sockets.map((socket) => {
    let handler: (sentAt: number) => void = () => undefined;
    socket.on('message.created', (message: MessageView) => {
      const sentAt = Number(message.text);
      if (Number.isFinite(sentAt)) handler(sentAt);
    });
    return {
      send: async (sentAt: number) => {
        await emitWithAck(socket, 'message:send', {
          roomId,
          text: String(sentAt),
          clientMessageId: randomUUID(),
        });
      },
      onDelivery: (h: (sentAt: number) => void) => {
        handler = h;
      },
      close: () => void socket.disconnect(),
    };
  });
}

export async function palaverTargets(config: BenchSettings, measure: Measure): Promise<ClusterBenchRow[]> {
  const rows: ClusterBenchRow[] = [];
  for (const target of [
    { name: 'Palaver 1 node', nodes: 1, redis: false },
    { name: 'Palaver 2 nodes + Redis', nodes: 2, redis: true },
  ]) {
    const cluster = await startCluster({
      nodes: target.nodes,
      redis: target.redis,
      env: { LOG_LEVEL: 'error' },
    });
    const clients: FanoutClient[] = [];
    try {
      clients.push(...(await roomOfMembers(cluster, config.clients)));
      rows.push(...(await measure('palaver', target.name, target.nodes, clients, config, cluster.redis)));
    } finally {
      for (const client of clients) await client.close();
      await cluster.close();
    }
  }
  return rows;
}
