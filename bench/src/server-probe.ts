/**
 * Preloaded (`node --expose-gc -r bench/dist/src/server-probe.js server.js`) into every server the harness
 * forks, so heap figures and CPU profiles come from inside the server without --inspect and without any
 * code in the server itself. Answers ProbeRequests on the IPC channel.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { writeHeapSnapshot } from 'node:v8';
import type { ProbeReply, ProbeRequest } from './probe-protocol';

let session: Session | undefined;

function post(method: string, params?: object): Promise<unknown> {
  return new Promise((resolve, reject) =>
    session!.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result))),
  );
}

async function answer(request: ProbeRequest): Promise<ProbeReply> {
  const reply: ProbeReply = { type: request.type, requestId: request.requestId };
  switch (request.type) {
    case 'bench:memory': {
      const gc = (globalThis as { gc?: () => void }).gc;
      if (request.gc && gc) {
        gc();
        gc();
      }
      reply.memory = process.memoryUsage();
      return reply;
    }
    case 'bench:profile-start':
      session ??= new Session();
      session.connect();
      await post('Profiler.enable');
      await post('Profiler.setSamplingInterval', { interval: 1000 });
      await post('Profiler.start');
      return reply;
    case 'bench:heap-snapshot':
      writeHeapSnapshot(request.path);
      return reply;
    case 'bench:profile-stop': {
      if (!session) throw new Error('profiler not started');
      const { profile } = (await post('Profiler.stop')) as { profile: object };
      session.disconnect();
      session = undefined;
      writeFileSync(request.path, JSON.stringify(profile));
      return reply;
    }
  }
}

if (process.send) {
  process.on('message', (request: ProbeRequest) => {
    if (!request || typeof request.type !== 'string' || !request.type.startsWith('bench:')) return;
    answer(request).then(
      (reply) => process.send?.(reply),
      (error: unknown) =>
        process.send?.({
          type: request.type,
          requestId: request.requestId,
          error: String(error),
        } satisfies ProbeReply),
    );
  });
  // The IPC channel must not keep a server alive that would otherwise exit.
  process.channel?.unref();
}
