/** IPC messages between the harness and a server it forked with server-probe.js preloaded. */
export type ProbeRequest =
  | {
      type: 'bench:memory';
      requestId: number;
      /** Run a full GC first (the server is started with --expose-gc) so heapUsed is live data only. */
      gc: boolean;
    }
  /** Starts the V8 sampling profiler in the server (node:inspector, no --inspect port). */
  | { type: 'bench:profile-start'; requestId: number }
  /** Stops it and writes the .cpuprofile to `path`. */
  | { type: 'bench:profile-stop'; requestId: number; path: string }
  /** Writes a heap snapshot (v8.writeHeapSnapshot) to `path`. */
  | { type: 'bench:heap-snapshot'; requestId: number; path: string };

export interface ProbeReply {
  type: ProbeRequest['type'];
  requestId: number;
  memory?: NodeJS.MemoryUsage;
  error?: string;
}

/** Sent by the baselines once they listen. */
export interface ListeningNotice {
  type: 'bench:listening';
  port: number;
}
