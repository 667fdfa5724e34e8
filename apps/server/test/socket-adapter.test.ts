import { Controller, Module, UseFilters, UsePipes } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import {
  ConnectedSocket,
  MessageBody,
  OnGatewayConnection,
  OnGatewayDisconnect,
  SubscribeMessage,
  WebSocketGateway,
} from '@nestjs/websockets';
import { IsString, MaxLength } from 'class-validator';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { of } from 'rxjs';
import { io, Socket as ClientSocket } from 'socket.io-client';
import type { Socket } from 'socket.io';
import { WebSocket } from 'ws';
import { ConflictError } from '../src/common/domain-error';
import { createValidationPipe } from '../src/common/validation';
import { AppConfig } from '../src/config/app-config';
import { MetricsService } from '../src/health/metrics.service';
import { PalaverIoAdapter } from '../src/realtime/palaver-io.adapter';
import { SocketAckFilter } from '../src/realtime/socket-ack.filter';
import { SOCKET_GATEWAY_OPTIONS } from '../src/realtime/socket-options';
import { waitFor } from './utils';

class EchoDto {
  @IsString() @MaxLength(20) text!: string;
}

/** A deferred the tests settle by hand, to hold a handler mid-flight. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const calls = { connected: 0, disconnected: 0, otherConnected: 0, otherDisconnected: 0, slowFinished: 0 };
let slowGate = deferred<void>();

@WebSocketGateway(SOCKET_GATEWAY_OPTIONS)
@UseFilters(SocketAckFilter)
@UsePipes(createValidationPipe())
class EchoGateway implements OnGatewayConnection, OnGatewayDisconnect {
  handleConnection(): void {
    calls.connected += 1;
  }

  handleDisconnect(): void {
    calls.disconnected += 1;
  }

  @SubscribeMessage('echo')
  echo(@MessageBody() dto: EchoDto): { text: string } {
    return { text: dto.text };
  }

  @SubscribeMessage('echo:later')
  async later(@MessageBody() dto: EchoDto): Promise<{ text: string }> {
    await new Promise((resolve) => setTimeout(resolve, 5));
    return { text: dto.text };
  }

  @SubscribeMessage('echo:stream')
  stream(@MessageBody() dto: EchoDto) {
    return of({ text: dto.text });
  }

  @SubscribeMessage('echo:event')
  asEvent(@MessageBody() dto: EchoDto) {
    return { event: 'echoed', data: { text: dto.text } };
  }

  @SubscribeMessage('whoami')
  whoami(@ConnectedSocket() socket: Socket): { id: string } {
    return { id: socket.id };
  }

  @SubscribeMessage('fail:domain')
  failDomain(): never {
    throw new ConflictError('already there');
  }

  @SubscribeMessage('fail:bug')
  async failBug(): Promise<never> {
    await Promise.resolve();
    throw new TypeError('a bug inside a handler');
  }

  @SubscribeMessage('slow')
  async slow(): Promise<{ done: true }> {
    await slowGate.promise;
    calls.slowFinished += 1;
    return { done: true };
  }
}

/** A second gateway on the same server: its hooks and handlers run beside the first one's. */
@WebSocketGateway(SOCKET_GATEWAY_OPTIONS)
@UseFilters(SocketAckFilter)
class OtherGateway implements OnGatewayConnection, OnGatewayDisconnect {
  handleConnection(): void {
    calls.otherConnected += 1;
  }

  handleDisconnect(): void {
    calls.otherDisconnected += 1;
  }

  @SubscribeMessage('other:ping')
  ping(): { pong: true } {
    return { pong: true };
  }
}

@Controller()
class NoRoutes {}

@Module({
  controllers: [NoRoutes],
  providers: [
    EchoGateway,
    OtherGateway,
    MetricsService,
    { provide: AppConfig, useValue: Object.assign(new AppConfig(), { NODE_ID: 'adapter-test' }) },
  ],
})
class AdapterTestModule {}

describe('PalaverIoAdapter (one dispatcher per socket in place of Nest’s rxjs chains)', () => {
  let app: NestExpressApplication;
  let url: string;
  const sockets: ClientSocket[] = [];

  async function connect(): Promise<ClientSocket> {
    const socket = io(url, { transports: ['websocket'], reconnection: false, forceNew: true });
    sockets.push(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
    return socket;
  }

  function request(socket: ClientSocket, event: string, ...args: unknown[]): Promise<unknown> {
    return socket.timeout(5000).emitWithAck(event, ...args);
  }

  before(async () => {
    app = await NestFactory.create<NestExpressApplication>(AdapterTestModule, {
      logger: false,
      abortOnError: false,
    });
    app.useWebSocketAdapter(new PalaverIoAdapter(app));
    await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  });

  after(async () => {
    for (const socket of sockets) socket.disconnect();
    await app?.close();
  });

  it('acks what a handler returns, whether a value, a promise or an Observable', async () => {
    const socket = await connect();
    assert.deepEqual(await request(socket, 'echo', { text: 'a' }), { text: 'a' });
    assert.deepEqual(await request(socket, 'echo:later', { text: 'b' }), { text: 'b' });
    assert.deepEqual(await request(socket, 'echo:stream', { text: 'c' }), { text: 'c' });
    assert.deepEqual(await request(socket, 'other:ping', {}), { pong: true });
  });

  it('gives each handler its own socket', async () => {
    const [first, second] = await Promise.all([connect(), connect()]);
    assert.deepEqual(await request(first, 'whoami', {}), { id: first.id });
    assert.deepEqual(await request(second, 'whoami', {}), { id: second.id });
  });

  it('emits a returned { event, data } to the socket instead of acking it', async () => {
    const socket = await connect();
    const echoed = new Promise((resolve) => socket.once('echoed', resolve));
    socket.emit('echo:event', { text: 'd' });
    assert.deepEqual(await echoed, { text: 'd' });
  });

  it('answers a payload the DTO refuses with validation_failed naming the field', async () => {
    const socket = await connect();
    const missing = (await request(socket, 'echo', {})) as { error: { code: string; field?: string } };
    assert.equal(missing.error.code, 'validation_failed');
    assert.equal(missing.error.field, 'text');
    const extra = (await request(socket, 'echo', { text: 'x', other: 1 })) as { error: { field?: string } };
    assert.equal(extra.error.field, 'other');
  });

  it('answers an unknown event, even one named like a reserved event, with unknown_event', async () => {
    const socket = await connect();
    for (const event of ['nobody:handles', 'error', 'toString', '__proto__']) {
      const ack = (await request(socket, event, {})) as { error: { code: string } };
      assert.equal(ack.error.code, 'unknown_event', event);
    }
    assert.deepEqual(await request(socket, 'echo', { text: 'still here' }), { text: 'still here' });
  });

  it('refuses payloads that are not one JSON object before any handler runs', async () => {
    const socket = await connect();
    for (const args of [['text'], [[1, 2]], [{ text: 'a' }, { text: 'b' }], [42]]) {
      const ack = (await request(socket, 'echo', ...args)) as { error: { code: string } };
      assert.equal(ack.error.code, 'validation_failed', JSON.stringify(args));
    }
    // No payload at all reaches the handler as undefined, which the DTO refuses.
    const none = (await request(socket, 'echo')) as { error: { code: string } };
    assert.equal(none.error.code, 'validation_failed');
  });

  it('turns errors thrown inside handlers into error acks, and the server keeps serving', async () => {
    const socket = await connect();
    assert.deepEqual(await request(socket, 'fail:domain', {}), {
      error: { code: 'conflict', message: 'already there' },
    });
    const bug = (await request(socket, 'fail:bug', {})) as { error: { code: string; message: string } };
    assert.equal(bug.error.code, 'internal');
    assert.doesNotMatch(bug.error.message, /a bug inside/);
    assert.deepEqual(await request(socket, 'echo', { text: 'after' }), { text: 'after' });
  });

  it('times each acked event under its name for the ack-latency metric, and no refused one', async () => {
    const socket = await connect();
    const metrics = app.get(MetricsService);
    const countOf = async (event: string) => {
      const text = await metrics.registry.getSingleMetricAsString('palaver_ack_latency_seconds');
      const line = text
        .split('\n')
        .find((l) => l.startsWith('palaver_ack_latency_seconds_count{') && l.includes(`event="${event}"`));
      return line ? Number(line.split(' ').pop()) : 0;
    };
    const before = await countOf('echo');
    await request(socket, 'echo', { text: 'timed' });
    await request(socket, 'echo', {});
    await request(socket, 'nobody:times', {});
    assert.equal(await countOf('echo'), before + 2);
    assert.equal(await countOf('nobody:times'), 0);
  });

  it('events sent without an ack still run and answer nothing', async () => {
    const socket = await connect();
    socket.emit('fail:bug', {});
    socket.emit('nobody:handles', {});
    socket.emit('echo', 'not an object');
    assert.deepEqual(await request(socket, 'echo', { text: 'fine' }), { text: 'fine' });
  });

  it('runs every gateway’s connection and disconnection hook once per socket', async () => {
    const before = { ...calls };
    const socket = await connect();
    await waitFor(
      () => calls.connected === before.connected + 1 && calls.otherConnected === before.otherConnected + 1,
    );
    socket.disconnect();
    await waitFor(
      () =>
        calls.disconnected === before.disconnected + 1 &&
        calls.otherDisconnected === before.otherDisconnected + 1,
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(calls.connected - before.connected, 1);
    assert.equal(calls.otherConnected - before.otherConnected, 1);
    assert.equal(calls.disconnected - before.disconnected, 1);
    assert.equal(calls.otherDisconnected - before.otherDisconnected, 1);
  });

  it('a socket that disconnects while its handler runs gets nothing and breaks nothing', async () => {
    slowGate = deferred<void>();
    const socket = await connect();
    const finishedBefore = calls.slowFinished;
    socket.emit('slow', {}, () => assert.fail('no ack after disconnect'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    socket.disconnect();
    await waitFor(() => calls.disconnected >= 1);
    slowGate.resolve();
    await waitFor(() => calls.slowFinished === finishedBefore + 1);
    const other = await connect();
    assert.deepEqual(await request(other, 'echo', { text: 'alive' }), { text: 'alive' });
  });

  it('closes a connection that sends an undecodable packet, and only that one', async () => {
    const bystander = await connect();
    const raw = new WebSocket(`${url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`);
    const closed = new Promise<void>((resolve) => raw.once('close', () => resolve()));
    raw.on('message', (data) => {
      const frame = String(data);
      if (frame.startsWith('0')) raw.send('40');
      else if (frame.startsWith('40')) raw.send('42["echo",{"text":'); // truncated JSON
    });
    await closed;
    assert.deepEqual(await request(bystander, 'echo', { text: 'unharmed' }), { text: 'unharmed' });
  });
});
