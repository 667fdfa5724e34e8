/**
 * The ceiling a Socket.IO application can reach: no auth, no persistence. A client joins the room named
 * in its handshake query (`?room=r1`); `message:send` is relayed to that room (sender included, as Palaver
 * does) as `message:new`, stamped with an id and time, and acked. Started by the harness with PORT (0 =
 * any) and reports its port over IPC.
 */
import { createServer } from 'node:http';
import { Server } from 'socket.io';
import type { ListeningNotice } from '../src/probe-protocol';

const httpServer = createServer();
const io = new Server(httpServer, { serveClient: false, cors: { origin: '*' } });
let nextId = 0;

io.on('connection', (socket) => {
  const room = typeof socket.handshake.query.room === 'string' ? socket.handshake.query.room : 'lobby';
  void socket.join(room);
  socket.on('message:send', (payload: unknown, ack?: unknown) => {
    const body =
      payload && typeof payload === 'object' && typeof (payload as { body?: unknown }).body === 'string'
        ? (payload as { body: string }).body
        : undefined;
    const reply = typeof ack === 'function' ? (ack as (response: unknown) => void) : undefined;
    if (body === undefined) {
      reply?.({ error: { code: 'validation_failed', message: 'body must be a string', field: 'body' } });
      return;
    }
    const message = { id: String(++nextId), roomId: room, body, createdAt: new Date().toISOString() };
    io.to(room).emit('message:new', message);
    reply?.({ id: message.id, createdAt: message.createdAt });
  });
});

httpServer.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1', () => {
  const address = httpServer.address();
  const notice: ListeningNotice = {
    type: 'bench:listening',
    port: typeof address === 'object' && address ? address.port : 0,
  };
  if (process.send) process.send(notice);
  else console.log(JSON.stringify(notice));
});

// Exit normally on SIGTERM so `--cpu-prof` (bench --profile) can write its profile.
process.on('SIGTERM', () => process.exit(0));
