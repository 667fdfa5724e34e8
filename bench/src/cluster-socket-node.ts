/**
 * One bare Socket.IO node for the adapter comparison in cluster.bench.ts, forked as a child process:
 * every socket joins room `r`; a `send` is emitted to the room (through the chosen adapter) and acked.
 * Env: ADAPTER = memory | redis-pubsub | redis-streams, REDIS_URL. Reports `{ port }` over IPC.
 */
import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { createAdapter as createPubSubAdapter } from '@socket.io/redis-adapter';
import { createAdapter as createStreamsAdapter } from '@socket.io/redis-streams-adapter';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';

async function main(): Promise<void> {
  const kind = process.env.ADAPTER ?? 'memory';
  const http = createServer();
  const io = new Server(http, { transports: ['websocket'], serveClient: false });
  if (kind !== 'memory') {
    const url = process.env.REDIS_URL;
    if (!url) throw new Error('REDIS_URL is required for a Redis adapter');
    const client = new Redis(url);
    if (kind === 'redis-pubsub')
      io.adapter(createPubSubAdapter(client, client.duplicate(), { key: 'bench:io' }));
    else if (kind === 'redis-streams') io.adapter(createStreamsAdapter(client, { streamName: 'bench:io' }));
    else throw new Error(`unknown ADAPTER ${kind}`);
  }
  io.on('connection', (socket) => {
    void socket.join('r');
    socket.on('send', (payload: unknown, ack?: () => void) => {
      io.to('r').emit('msg', payload);
      if (typeof ack === 'function') ack();
    });
  });
  http.listen(0, '127.0.0.1', () => process.send?.({ port: (http.address() as AddressInfo).port }));
  process.on('disconnect', () => process.exit(0));
}

main().catch((err: unknown) => {
  process.stderr.write(`cluster-socket-node: ${String(err)}\n`);
  process.exit(1);
});
