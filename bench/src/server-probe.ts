/**
 * Preloaded (`node --expose-gc -r bench/dist/src/server-probe.js server.js`) into every server the harness
 * forks, so heap figures come from process.memoryUsage() inside the server without --inspect and without
 * any code in the server itself. Answers `{ type: 'bench:memory', gc }` on the IPC channel.
 */
import type { ProbeReply, ProbeRequest } from './probe-protocol';

if (process.send) {
  process.on('message', (message: ProbeRequest) => {
    if (!message || message.type !== 'bench:memory') return;
    const gc = (globalThis as { gc?: () => void }).gc;
    if (message.gc && gc) {
      gc();
      gc();
    }
    const reply: ProbeReply = {
      type: 'bench:memory',
      requestId: message.requestId,
      memory: process.memoryUsage(),
    };
    process.send?.(reply);
  });
  // The IPC channel must not keep a server alive that would otherwise exit.
  process.channel?.unref();
}
