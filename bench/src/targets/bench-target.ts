import type { ConnectionSpec, WireKind } from '../generator-protocol';

/** What a scenario asks of a target before connecting: this many connections over this many rooms. */
export interface TargetPlan {
  connections: number;
  rooms: number;
  /** Palaver only: accounts the connections are spread over (default 100). */
  users?: number;
}

export interface MemorySample {
  /** Resident set of the server process tree, from /proc. */
  rssBytes: number;
  /** V8 heap in use after a full GC, from the preloaded probe; undefined when the probe did not answer. */
  heapUsedBytes?: number;
}

export interface RunningTarget {
  readonly name: TargetName;
  readonly pid: number;
  readonly kind: WireKind;
  readonly codec: string;
  /** One spec per planned connection, rooms filled round-robin. */
  readonly connections: ConnectionSpec[];
  cpuSeconds(): number;
  /** `gc` forces two full collections first (idle scenario); the load scenarios only want RSS. */
  memory(gc?: boolean): Promise<MemorySample>;
  /** Starts the V8 CPU profiler inside the server (through the preloaded probe). */
  startProfile(): Promise<void>;
  /** Stops it and writes the .cpuprofile to `path`. */
  stopProfile(path: string): Promise<string>;
  /** Writes a V8 heap snapshot of the server to `path`. */
  heapSnapshot(path: string): Promise<string>;
  stop(): Promise<void>;
}

export type TargetName = 'bare-socketio' | 'raw-ws' | 'palaver';

export interface BenchTarget {
  readonly name: TargetName;
  readonly description: string;
  start(plan: TargetPlan): Promise<RunningTarget>;
}
