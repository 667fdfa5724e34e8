import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { cpuSeconds } from './process-stats';
import { forkScript, IpcChannel, stopChild } from './forked-process';
import type {
  ConnectCommand,
  ConnectResult,
  GeneratorCommand,
  GeneratorReply,
  StepCommand,
  StepResult,
} from './generator-protocol';

/** The harness's handle on the load-generator child process. */
export class GeneratorClient {
  private constructor(
    private readonly child: ChildProcess,
    private readonly channel: IpcChannel<GeneratorReply>,
  ) {}

  static start(): GeneratorClient {
    // Lots of sockets, lots of small garbage: a larger young generation keeps scavenges cheap.
    const child = forkScript(join(__dirname, 'load-generator.js'), {
      execArgv: ['--max-semi-space-size=32'],
    });
    return new GeneratorClient(child, new IpcChannel<GeneratorReply>(child));
  }

  get pid(): number {
    return this.child.pid!;
  }

  cpuSeconds(): number {
    return cpuSeconds(this.pid);
  }

  private async call<T>(command: GeneratorCommand, timeoutMs: number): Promise<T> {
    const reply = await this.channel.request(command, timeoutMs);
    if (!reply.ok) throw new Error(`load generator: ${reply.error}`);
    return reply.result as T;
  }

  connect(command: Omit<ConnectCommand, 'cmd'>): Promise<ConnectResult> {
    return this.call<ConnectResult>({ cmd: 'connect', ...command }, 600_000);
  }

  step(command: Omit<StepCommand, 'cmd'>): Promise<StepResult> {
    return this.call<StepResult>({ cmd: 'step', ...command }, command.durationMs + command.drainMs + 60_000);
  }

  disconnect(): Promise<void> {
    return this.call<void>({ cmd: 'disconnect' }, 60_000);
  }

  stop(): Promise<void> {
    return stopChild(this.child);
  }
}
