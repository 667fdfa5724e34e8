/** IPC messages between the harness and a server it forked with server-probe.js preloaded. */
export interface ProbeRequest {
  type: 'bench:memory';
  requestId: number;
  /** Run a full GC first (the server is started with --expose-gc) so heapUsed is live data only. */
  gc: boolean;
}

export interface ProbeReply {
  type: 'bench:memory';
  requestId: number;
  memory: NodeJS.MemoryUsage;
}

/** Sent by the baselines once they listen. */
export interface ListeningNotice {
  type: 'bench:listening';
  port: number;
}
