import { once } from 'node:events';
import { join } from 'node:path';
import type { ListeningNotice } from '../probe-protocol';
import type { BenchTarget, RunningTarget, TargetName, TargetPlan } from './bench-target';
import { ProbedServer } from './probed-server';

const BASELINES = join(__dirname, '..', '..', 'baselines');

async function startBaseline(
  name: TargetName,
  script: string,
  kind: 'socketio' | 'ws',
  plan: TargetPlan,
): Promise<RunningTarget> {
  const server = ProbedServer.fork(join(BASELINES, script), { ...process.env, PORT: '0', HOST: '127.0.0.1' });
  const listening = (async () => {
    for (;;) {
      const [message] = (await once(server.child, 'message')) as [ListeningNotice];
      if (message?.type === 'bench:listening') return message.port;
    }
  })();
  const port = await server.whileAlive(
    Promise.race([
      listening,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`${name} did not listen in 15 s`)), 15_000),
      ),
    ]),
  );
  const url = kind === 'ws' ? `ws://127.0.0.1:${port}/` : `http://127.0.0.1:${port}`;
  const connections = Array.from({ length: plan.connections }, (_, i) => {
    const room = `r${i % plan.rooms}`;
    return { url, group: room, roomId: room, query: { room } };
  });
  return {
    name,
    pid: server.pid,
    kind,
    codec: 'bare',
    connections,
    cpuSeconds: () => server.cpuSeconds(),
    memory: (gc) => server.memory(gc),
    startProfile: () => server.startProfile(),
    stopProfile: (path) => server.stopProfile(path),
    heapSnapshot: (path) => server.heapSnapshot(path),
    stop: () => server.stop(),
  };
}

export const bareSocketIoTarget: BenchTarget = {
  name: 'bare-socketio',
  description: 'bench/baselines/socketio-broadcast-server.ts: Socket.IO relay, no auth, no persistence',
  start: (plan) => startBaseline('bare-socketio', 'socketio-broadcast-server.js', 'socketio', plan),
};

export const rawWsTarget: BenchTarget = {
  name: 'raw-ws',
  description: 'bench/baselines/ws-broadcast-server.ts: the same relay over raw ws',
  start: (plan) => startBaseline('raw-ws', 'ws-broadcast-server.js', 'ws', plan),
};
