/**
 * The floor: the same relay as the Socket.IO baseline over raw `ws`, with JSON frames.
 * Client -> server: `{"t":"send","id":<n>,"d":{"body":"..."}}`; server -> client: `{"t":"ack","id":<n>,
 * "d":{id,createdAt}}` and, to every socket of the room from the URL query (`/?room=r1`), `{"t":"msg","d":
 * {id,roomId,body,createdAt}}`, serialised once per broadcast as Socket.IO does.
 */
import { createServer } from 'node:http';
import { WebSocket, WebSocketServer } from 'ws';
import type { ListeningNotice } from '../src/probe-protocol';

const httpServer = createServer();
const wss = new WebSocketServer({ server: httpServer, perMessageDeflate: false });
const rooms = new Map<string, Set<WebSocket>>();
let nextId = 0;

wss.on('connection', (socket, request) => {
  const room = new URL(request.url ?? '/', 'http://x').searchParams.get('room') ?? 'lobby';
  const members = rooms.get(room) ?? new Set<WebSocket>();
  rooms.set(room, members);
  members.add(socket);
  socket.on('close', () => members.delete(socket));
  socket.on('message', (data) => {
    let frame: { t?: unknown; id?: unknown; d?: { body?: unknown } };
    try {
      frame = JSON.parse(String(data)) as typeof frame;
    } catch {
      return; // not JSON: ignored, like an unknown Socket.IO packet
    }
    if (frame.t !== 'send' || typeof frame.d?.body !== 'string') return;
    const message = {
      id: String(++nextId),
      roomId: room,
      body: frame.d.body,
      createdAt: new Date().toISOString(),
    };
    const broadcast = JSON.stringify({ t: 'msg', d: message });
    for (const member of members) if (member.readyState === WebSocket.OPEN) member.send(broadcast);
    socket.send(
      JSON.stringify({ t: 'ack', id: frame.id, d: { id: message.id, createdAt: message.createdAt } }),
    );
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
