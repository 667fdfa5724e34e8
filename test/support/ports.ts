import { createServer } from 'node:net';

/**
 * A free TCP port on 127.0.0.1, found by binding port 0 and releasing it. Used for processes that must
 * be told their port up front (redis-server, docstore, Palaver nodes). The small race with other
 * programs grabbing it in between is accepted; callers retry a start that fails with EADDRINUSE.
 */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
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
