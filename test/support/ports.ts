import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';

/**
 * A free TCP port on 127.0.0.1 for processes that must be told their port up front (redis-server,
 * docstore, Palaver nodes). It is picked below the kernel's ephemeral range: a port from that range
 * (what binding port 0 gives) can be taken meanwhile as the local end of any outgoing connection, such
 * as a node connecting to the docstore, and the process told to listen there then fails with EADDRINUSE.
 */
export async function freePort(): Promise<number> {
  const ephemeralLow = await ephemeralRangeStart();
  const low = 10_000;
  const high = Math.max(low + 1000, ephemeralLow) - 1;
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low + 1));
    if (await canListen(port)) return port;
  }
  throw new Error(`no free port found between ${low} and ${high}`);
}

async function ephemeralRangeStart(): Promise<number> {
  try {
    const range = await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8');
    const low = Number(range.trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 11_000 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Thrown by a waitFor probe to stop waiting at once (e.g. the process being waited for exited). */
export class WaitAborted extends Error {}

/** Polls `probe` until it returns true or `timeoutMs` passes (then throws naming `what`). */
export async function waitFor(
  what: string,
  probe: () => Promise<boolean> | boolean,
  timeoutMs = 15_000,
  everyMs = 50,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      if (await probe()) return;
    } catch (err) {
      if (err instanceof WaitAborted) throw err;
      lastError = err;
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`,
  );
}
