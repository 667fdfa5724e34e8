import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';

/** Request/response over a forked child's IPC channel, matched by requestId. */
export class IpcChannel<Reply extends { requestId: number }> {
  private nextRequestId = 0;
  private readonly pending = new Map<number, (reply: Reply) => void>();

  constructor(private readonly child: ChildProcess) {
    child.on('message', (message: Reply) => {
      if (message && typeof message.requestId === 'number') {
        this.pending.get(message.requestId)?.(message);
        this.pending.delete(message.requestId);
      }
    });
  }

  request<Request extends object>(request: Request, timeoutMs: number): Promise<Reply> {
    const requestId = ++this.nextRequestId;
    return new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        reject(new Error(`no reply from pid ${this.child.pid} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(requestId, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      this.child.send({ ...request, requestId });
    });
  }
}

/** Forks a Node script with an IPC channel; stdout/stderr go to `logFile` when given, else are inherited. */
export function forkScript(
  script: string,
  options: { args?: string[]; execArgv?: string[]; env?: NodeJS.ProcessEnv; logFile?: string } = {},
): ChildProcess {
  let output: number | 'inherit' = 'inherit';
  if (options.logFile) {
    mkdirSync(dirname(options.logFile), { recursive: true });
    output = openSync(options.logFile, 'a');
  }
  const child = fork(script, options.args ?? [], {
    execArgv: options.execArgv ?? [],
    env: options.env ?? process.env,
    stdio: ['ignore', output, output, 'ipc'],
  });
  if (typeof output === 'number') closeSync(output); // the child holds its own copy
  return child;
}

/** SIGTERM, then SIGKILL if the child has not exited within `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
