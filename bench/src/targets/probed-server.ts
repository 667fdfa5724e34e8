import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { forkScript, IpcChannel, stopChild } from '../forked-process';
import type { ProbeReply } from '../probe-protocol';
import { cpuSeconds, rssBytes } from '../process-stats';
import type { MemorySample } from './bench-target';

const PROBE = join(__dirname, '..', 'server-probe.js');

/** A server process forked with server-probe.js preloaded and --expose-gc, so its heap can be asked for. */
export class ProbedServer {
  readonly channel: IpcChannel<ProbeReply>;

  private constructor(readonly child: ChildProcess) {
    this.channel = new IpcChannel<ProbeReply>(child);
  }

  static fork(script: string, env: NodeJS.ProcessEnv, profileDir?: string): ProbedServer {
    const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
    const child = forkScript(script, { env, execArgv: ['--expose-gc', '-r', PROBE, ...profile] });
    return new ProbedServer(child);
  }

  get pid(): number {
    return this.child.pid!;
  }

  cpuSeconds(): number {
    return cpuSeconds(this.pid);
  }

  async memory(): Promise<MemorySample> {
    let heapUsedBytes: number | undefined;
    try {
      const reply = await this.channel.request({ type: 'bench:memory', gc: true }, 10_000);
      heapUsedBytes = reply.memory.heapUsed;
    } catch {
      heapUsedBytes = undefined;
    }
    return { rssBytes: rssBytes(this.pid), heapUsedBytes };
  }

  /** Rejects if the process exits before `ready` settles. */
  async whileAlive<T>(ready: Promise<T>): Promise<T> {
    let onExit: ((code: number | null) => void) | undefined;
    const died = new Promise<never>((_, reject) => {
      onExit = (code) => reject(new Error(`server pid ${this.pid} exited with code ${code} while starting`));
      this.child.once('exit', onExit);
    });
    try {
      return await Promise.race([ready, died]);
    } finally {
      if (onExit) this.child.off('exit', onExit);
    }
  }

  stop(): Promise<void> {
    return stopChild(this.child);
  }
}
