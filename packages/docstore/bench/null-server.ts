// A server that speaks the same wire protocol as the docstore and stores nothing: it acknowledges every insert
// and answers every read with an empty cursor. The benchmark runs the driver against it to show what the
// driver and the machine allow at all (the client's own cost per request), next to the docstore's figures.
//   node packages/docstore/dist/bench/null-server.js   prints: null server listening on mongodb://127.0.0.1:<port>/
import net from 'node:net';
import { BSON, type Document } from 'bson';
import { helloReply } from '../src/commands';
import { MAX_MESSAGE_SIZE_BYTES, OP_QUERY, buildMsgReply, buildOpReply, parseRequest } from '../src/wire';

const CURSOR_COMMANDS = new Set(['find', 'aggregate', 'listindexes', 'listcollections']);

function answer(body: Document, documents: number, connectionId: number): Document {
  const name = (Object.keys(body)[0] ?? '').toLowerCase();
  if (name === 'hello' || name === 'ismaster') return helloReply(connectionId, name === 'ismaster');
  if (name === 'insert') return { n: documents, ok: 1 };
  if (CURSOR_COMMANDS.has(name)) return { cursor: { firstBatch: [], id: 0n, ns: 'null.null' }, ok: 1 };
  return { ok: 1 };
}

let connections = 0;
const server = net.createServer((socket) => {
  const connectionId = ++connections;
  socket.setNoDelay(true);
  socket.on('error', () => socket.destroy());
  let chunks: Buffer[] = [];
  let buffered = 0;
  socket.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    buffered += chunk.length;
    while (buffered >= 4) {
      if (chunks[0].length < 4) chunks = [Buffer.concat(chunks)];
      const length = chunks[0].readInt32LE(0);
      if (length < 17 || length > MAX_MESSAGE_SIZE_BYTES) return void socket.destroy();
      if (buffered < length) return;
      const all = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, buffered);
      const rest = all.subarray(length);
      chunks = rest.length ? [rest] : [];
      buffered = rest.length;
      const req = parseRequest(all.subarray(0, length));
      const documents =
        req.sequences.get('documents')?.length ?? (req.body.documents as unknown[])?.length ?? 0;
      const reply = Buffer.from(BSON.serialize(answer(req.body, documents, connectionId)));
      const parts =
        req.opCode === OP_QUERY
          ? buildOpReply(1, req.header.requestId, reply)
          : buildMsgReply(1, req.header.requestId, reply);
      socket.cork();
      for (const part of parts) socket.write(part);
      socket.uncork();
    }
  });
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as net.AddressInfo;
  console.log(`null server listening on mongodb://127.0.0.1:${port}/`);
});
process.on('SIGTERM', () => process.exit(0));
