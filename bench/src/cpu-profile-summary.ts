/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`) into self time per function and per package, the
 * "what costs what" tables of docs/performance.md.
 */

export interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

export interface CpuProfile {
  nodes: CpuProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface CostRow {
  name: string;
  selfMs: number;
  share: number;
}

export interface ProfileSummary {
  totalMs: number;
  byFunction: CostRow[];
  byPackage: CostRow[];
  /**
   * Each sample charged to the innermost frame of the program's own code (apps/server, packages/*) on its
   * stack: which server function the library and runtime work was done for. Work resumed from the event
   * loop with no program frame on the stack is charged to the leaf's package, in parentheses.
   */
  byServerCaller: CostRow[];
}

const PROGRAM_CODE = /\/(apps\/server|packages\/[^/]+)\/dist\/src\//;

function frameName(frame: CpuProfileNode['callFrame']): string {
  const file = frame.url ? frame.url.replace(/^.*node_modules\//, '').replace(/^.*\/dist\/src\//, '') : '';
  return `${frame.functionName || '(anonymous)'}${file ? ` ${file}:${frame.lineNumber + 1}` : ''}`;
}

/** Where a frame's code lives: a node_modules package, node's own code, the program, or V8 bookkeeping. */
export function packageOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const path = url.replace(/^file:\/\//, '');
  const modules = path.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const rest = path.slice(modules + 'node_modules/'.length).split('/');
    const name = rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
    return name;
  }
  if (path.startsWith('node:')) return 'node (core)';
  const workspace = /\/(apps\/server|packages\/[^/]+)\/dist\/src\/([^/]+)/.exec(path);
  if (workspace) return `${workspace[1]}/${workspace[2]!.replace(/\.js$/, '')}`;
  return path;
}

function rows(totals: Map<string, number>, totalMs: number, top: number): CostRow[] {
  return [...totals.entries()]
    .map(([name, selfMs]) => ({ name, selfMs, share: totalMs > 0 ? selfMs / totalMs : 0 }))
    .sort((a, b) => b.selfMs - a.selfMs)
    .slice(0, top);
}

/** Samples with a frame from these files on the stack are the measurement itself (the probe stopping the profiler). */
const MEASUREMENT_CODE = /server-probe\.js/;

export function summariseProfile(profile: CpuProfile, top = 25): ProfileSummary {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const isMeasurement = (id: number): boolean => {
    for (let at: number | undefined = id; at !== undefined; at = parents.get(at)) {
      if (MEASUREMENT_CODE.test(nodes.get(at)?.callFrame.url ?? '')) return true;
    }
    return false;
  };
  const serverCaller = (id: number): string | undefined => {
    for (let at: number | undefined = id; at !== undefined; at = parents.get(at)) {
      const frame = nodes.get(at)?.callFrame;
      if (frame && PROGRAM_CODE.test(frame.url)) return frameName(frame);
    }
    return undefined;
  };
  const selfByNode = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    // timeDeltas[i] is the time before sample i; attributing it to sample i is V8's own convention.
    selfByNode.set(id, (selfByNode.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  }
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  const byCaller = new Map<string, number>();
  let totalMs = 0;
  for (const [id, ms] of selfByNode) {
    const frame = nodes.get(id)?.callFrame;
    if (!frame) continue;
    if (frame.functionName === '(idle)' || isMeasurement(id)) continue;
    totalMs += ms;
    const pkg = packageOf(frame.url, frame.functionName);
    const fn = frameName(frame);
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + ms);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + ms);
    const caller = serverCaller(id) ?? `(${pkg})`;
    byCaller.set(caller, (byCaller.get(caller) ?? 0) + ms);
  }
  return {
    totalMs,
    byFunction: rows(byFunction, totalMs, top),
    byPackage: rows(byPackage, totalMs, top),
    byServerCaller: rows(byCaller, totalMs, top),
  };
}
