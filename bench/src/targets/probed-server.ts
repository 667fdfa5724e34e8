import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { forkScript, IpcChannel, stopChild } from '../forked-process';
import type { ProbeReply } from '../probe-protocol';
import { cpuSeconds, rssBytes } from '../process-stats';
import type { MemorySample } from './bench-target';

const PROBE = join(__dirname, '..', 'server-probe.js');
const SERVER_LOGS = join(__dirname, '..', '..', '..', 'results', 'tmp', 'server-logs');

/** A server process forked with server-probe.js preloaded and --expose-gc, so its heap can be asked for. */
export class ProbedServer {
  readonly channel: IpcChannel<ProbeReply>;

  private constructor(
    readonly child: ChildProcess,
    /** The server's stdout and stderr (bench/results/tmp/server-logs/). */
    readonly logFile: string,
  ) {
    this.channel = new IpcChannel<ProbeReply>(child);
  }

  static fork(script: string, env: NodeJS.ProcessEnv): ProbedServer {
    const logFile = join(SERVER_LOGS, `${basename(script, '.js')}-${Date.now()}.log`);
    const child = forkScript(script, { env, execArgv: ['--expose-gc', '-r', PROBE], logFile });
    return new ProbedServer(child, logFile);
  }

  get pid(): number {
    return this.child.pid!;
  }

  cpuSeconds(): number {
    return cpuSeconds(this.pid);
  }

  async memory(gc = true): Promise<MemorySample> {
    let heapUsedBytes: number | undefined;
    try {
      const reply = await this.channel.request({ type: 'bench:memory', gc }, 10_000);
      heapUsedBytes = reply.memory?.heapUsed;
    } catch {
      heapUsedBytes = undefined;
    }
    return { rssBytes: rssBytes(this.pid), heapUsedBytes };
  }

  async startProfile(): Promise<void> {
    const reply = await this.channel.request({ type: 'bench:profile-start' }, 10_000);
    if (reply.error) throw new Error(`profiler: ${reply.error}`);
  }

  /** Stops the profiler and writes `<dir>/<name>.cpuprofile`; returns the path. */
  async stopProfile(path: string): Promise<string> {
    mkdirSync(dirname(path), { recursive: true });
    const reply = await this.channel.request({ type: 'bench:profile-stop', path }, 60_000);
    if (reply.error) throw new Error(`profiler: ${reply.error}`);
    return path;
  }

  async heapSnapshot(path: string): Promise<string> {
    mkdirSync(dirname(path), { recursive: true });
    const reply = await this.channel.request({ type: 'bench:heap-snapshot', path }, 120_000);
    if (reply.error) throw new Error(`heap snapshot: ${reply.error}`);
    return path;
  }

  /** Rejects if the process exits before `ready` settles. */
  async whileAlive<T>(ready: Promise<T>): Promise<T> {
    let onExit: ((code: number | null) => void) | undefined;
    const died = new Promise<never>((_, reject) => {
      onExit = (code) =>
        reject(
          new Error(`server pid ${this.pid} exited with code ${code} while starting (log: ${this.logFile})`),
        );
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
