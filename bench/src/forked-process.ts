import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

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

/** Forks a Node script with an IPC channel; stdout/stderr are inherited unless `quiet`. */
export function forkScript(
  script: string,
  options: { args?: string[]; execArgv?: string[]; env?: NodeJS.ProcessEnv; quiet?: boolean } = {},
): ChildProcess {
  return fork(script, options.args ?? [], {
    execArgv: options.execArgv ?? [],
    env: options.env ?? process.env,
    stdio: options.quiet ? ['ignore', 'ignore', 'pipe', 'ipc'] : ['ignore', 'inherit', 'inherit', 'ipc'],
  });
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
