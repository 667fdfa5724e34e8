import { join } from 'node:path';
import { GeneratorClient } from '../generator-client';
import type { StepResult } from '../generator-protocol';
import { checkGoal, formatNumber, formatRatio, goalsTable, markdownTable, ratio } from '../report-format';
import type { RunningTarget, TargetName } from '../targets/bench-target';
import type { Scenario, ScenarioOptions, ScenarioOutput, ScenarioRun } from './scenario';

/** One load step as measured on both sides. */
export interface MeasuredStep extends StepResult {
  /** Offered deliveries per second: offered sends × receivers per room. */
  offeredDeliveriesPerSecond: number;
  serverCpuSeconds: number;
  /** Server CPU seconds per second of the sending window (1.0 = one core busy). */
  serverCores: number;
  generatorCores: number;
  /** Deliveries per server CPU-second: the noise-resistant efficiency figure. */
  deliveriesPerServerCpuSecond: number;
  serverRssBytes: number;
  /** Whether the step met the ramp's bar (p99 ≤ limit and ≥ 95 % of deliveries arrived). */
  withinLimit: boolean;
}

export interface FanoutTargetResult {
  target: TargetName;
  connected: number;
  connectSeconds: number;
  steps: MeasuredStep[];
  /** The highest step within the limit. */
  saturation?: MeasuredStep;
  /** The step at half the saturation send rate, run longer. */
  halfSaturation?: MeasuredStep;
  error?: string;
}

export interface FanoutDetail {
  targets: FanoutTargetResult[];
}

interface FanoutParameters {
  connections: number;
  rooms: number;
  startRate: number;
  growth: number;
  maxSteps: number;
  stepMs: number;
  halfStepMs: number;
  p99LimitMs: number;
  bodyBytes: number;
  /** 1: a step that misses the bar is run once more before the ramp ends; 0: it ends at once. */
  retries: number;
}

function parameters(options: ScenarioOptions, latencyFocus: boolean): FanoutParameters {
  const o = options.overrides;
  return {
    connections: o.connections ?? 1000,
    rooms: o.rooms ?? 10,
    startRate: o.startRate ?? (options.quick ? 4 : 2),
    growth: o.growth ?? (options.quick || latencyFocus ? 2 : 1.3),
    maxSteps: o.maxSteps ?? 30,
    stepMs: o.stepMs ?? (options.quick ? 1500 : 5000),
    halfStepMs: o.halfStepMs ?? (options.quick ? 3000 : latencyFocus ? 30000 : 10000),
    p99LimitMs: o.p99LimitMs ?? 100,
    bodyBytes: o.bodyBytes ?? 64,
    retries: o.retries ?? 1,
  };
}

async function measureStep(
  target: RunningTarget,
  generator: GeneratorClient,
  rate: number,
  durationMs: number,
  p: FanoutParameters,
): Promise<MeasuredStep> {
  const receiversPerRoom = target.connections.length / p.rooms;
  const cpuBefore = target.cpuSeconds();
  const generatorCpuBefore = generator.cpuSeconds();
  // Utilisation is taken over the sending window only: the drain that follows is mostly idle.
  let windowCpu = { server: 0, generator: 0 };
  const windowTimer = setTimeout(() => {
    windowCpu = {
      server: target.cpuSeconds() - cpuBefore,
      generator: generator.cpuSeconds() - generatorCpuBefore,
    };
  }, durationMs);
  const result = await generator.step({
    rate,
    inflightPerGroup: 1,
    durationMs,
    drainMs: Math.max(2000, p.p99LimitMs * 20),
    bodyBytes: p.bodyBytes,
  });
  clearTimeout(windowTimer);
  const serverCpuSeconds = target.cpuSeconds() - cpuBefore;
  const memory = await target.memory(false);
  const withinLimit =
    result.deliver.count > 0 &&
    result.deliver.p99 <= p.p99LimitMs &&
    result.delivered >= 0.95 * result.expectedDeliveries &&
    result.ackErrors === 0;
  return {
    ...result,
    offeredDeliveriesPerSecond: rate * receiversPerRoom,
    serverCpuSeconds,
    serverCores: windowCpu.server / (durationMs / 1000),
    generatorCores: windowCpu.generator / (durationMs / 1000),
    deliveriesPerServerCpuSecond: serverCpuSeconds > 0 ? result.delivered / serverCpuSeconds : 0,
    serverRssBytes: memory.rssBytes,
    withinLimit,
  };
}

async function runTarget(
  options: ScenarioOptions,
  target: RunningTarget,
  p: FanoutParameters,
): Promise<FanoutTargetResult> {
  const generator = GeneratorClient.start();
  const result: FanoutTargetResult = { target: target.name, connected: 0, connectSeconds: 0, steps: [] };
  try {
    const connect = await generator.connect({
      kind: target.kind,
      codec: target.codec,
      connections: target.connections,
      concurrency: 50,
      timeoutMs: 20_000,
    });
    result.connected = connect.connected;
    result.connectSeconds = connect.seconds;
    options.log(`  ${target.name}: ${connect.connected} connected in ${connect.seconds.toFixed(1)} s`);
    if (connect.failed > 0) throw new Error(`${connect.failed} connections failed: ${connect.firstError}`);
    // Warm-up: JIT and buffers, not recorded.
    await measureStep(target, generator, p.startRate, 1000, p);
    if (options.profileDir) await target.startProfile();
    let rate = p.startRate;
    let retried = false;
    for (let i = 0; i < p.maxSteps; i++) {
      const step = await measureStep(target, generator, rate, p.stepMs, p);
      result.steps.push(step);
      options.log(
        `  ${target.name} ${formatNumber(step.offeredDeliveriesPerSecond)} deliveries/s offered: ` +
          `${formatNumber(step.deliveredPerSecond)}/s delivered, p99 ${formatNumber(step.deliver.p99)} ms, ` +
          `server ${step.serverCores.toFixed(2)} cores, generator ${step.generatorCores.toFixed(2)} cores`,
      );
      if (!step.withinLimit) {
        // On a shared machine one step can miss the bar because of someone else's burst: the ramp ends
        // only when the same rate misses it twice running.
        if (retried || p.retries === 0) break;
        retried = true;
        continue;
      }
      retried = false;
      result.saturation = step;
      rate = Math.round(rate * p.growth);
    }
    if (options.profileDir) {
      const path = await target.stopProfile(join(options.profileDir, `${target.name}.cpuprofile`));
      options.log(`  ${target.name}: CPU profile of the ramp in ${path}`);
    }
    if (result.saturation) {
      const halfRate = Math.max(1, Math.round(result.saturation.offeredRate / 2));
      result.halfSaturation = await measureStep(target, generator, halfRate, p.halfStepMs, p);
      options.log(
        `  ${target.name} at half saturation (${halfRate} msgs/s sent): p50 ${result.halfSaturation.deliver.p50} ms, ` +
          `p99 ${result.halfSaturation.deliver.p99} ms`,
      );
    }
    await generator.disconnect();
  } catch (error) {
    result.error = error instanceof Error ? error.message : String(error);
    options.log(`  ${target.name} failed: ${result.error}`);
  } finally {
    await generator.stop();
  }
  return result;
}

function stepRows(results: FanoutTargetResult[]): string[][] {
  return results.flatMap((r) =>
    r.steps.map((s) => [
      r.target,
      formatNumber(s.offeredDeliveriesPerSecond),
      formatNumber(s.deliveredPerSecond),
      formatNumber(s.ack.p50),
      formatNumber(s.deliver.p50),
      formatNumber(s.deliver.p95),
      formatNumber(s.deliver.p99),
      formatNumber(s.deliver.max),
      s.serverCores.toFixed(2),
      s.generatorCores.toFixed(2),
      formatNumber(s.deliveriesPerServerCpuSecond),
      s.withinLimit ? 'yes' : 'no',
    ]),
  );
}

/** When even the first step missed the bar: its offered deliveries/s, an upper bound on saturation. */
export function saturationBelow(result: FanoutTargetResult | undefined): number | undefined {
  if (!result || result.saturation || result.error || result.steps.length === 0) return undefined;
  return result.steps[0]!.offeredDeliveriesPerSecond;
}

/** Deliveries per server CPU-second over every step of the ramp: the load-independent efficiency figure. */
export function deliveriesPerCpuSecond(result: FanoutTargetResult | undefined): number | undefined {
  if (!result || result.steps.length === 0) return undefined;
  const cpu = result.steps.reduce((sum, s) => sum + s.serverCpuSeconds, 0);
  const delivered = result.steps.reduce((sum, s) => sum + s.delivered, 0);
  return cpu > 0 ? delivered / cpu : undefined;
}

function summaryMarkdown(results: FanoutTargetResult[], p: FanoutParameters): string {
  const byName = new Map(results.map((r) => [r.target, r]));
  const bare = byName.get('bare-socketio');
  const bareEfficiency = deliveriesPerCpuSecond(bare);
  const rows = results.map((r) => {
    const sat = r.saturation;
    const half = r.halfSaturation;
    const below = saturationBelow(r);
    return [
      r.target,
      r.error
        ? `failed: ${r.error}`
        : below !== undefined
          ? `< ${formatNumber(below)} (first step missed)`
          : formatNumber(sat?.deliveredPerSecond),
      formatRatio(ratio(sat?.deliveredPerSecond, bare?.saturation?.deliveredPerSecond)),
      formatNumber(deliveriesPerCpuSecond(r)),
      formatRatio(ratio(deliveriesPerCpuSecond(r), bareEfficiency)),
      formatNumber(half?.deliver.p50),
      formatNumber(half?.deliver.p95),
      formatNumber(half?.deliver.p99),
      formatNumber(half?.deliver.max),
    ];
  });
  const summary = markdownTable(
    [
      'target',
      `saturation deliveries/s (p99 ≤ ${p.p99LimitMs} ms)`,
      '÷ bare socket.io',
      'deliveries per server CPU-s (all steps)',
      '÷ bare socket.io',
      'p50 ms at half',
      'p95 ms at half',
      'p99 ms at half',
      'max ms at half',
    ],
    rows,
  );
  const steps = markdownTable(
    [
      'target',
      'offered deliveries/s',
      'delivered/s',
      'ack p50 ms',
      'deliver p50 ms',
      'p95 ms',
      'p99 ms',
      'max ms',
      'server cores',
      'generator cores',
      'deliveries per server CPU-s',
      'within limit',
    ],
    stepRows(results),
  );
  const palaver = byName.get('palaver');
  const goals = goalsTable([
    checkGoal(
      'Palaver delivered msgs/s ≥ 0.85 × bare Socket.IO (saturation)',
      ratio(
        palaver?.saturation?.deliveredPerSecond ?? saturationBelow(palaver),
        bare?.saturation?.deliveredPerSecond,
      ),
      '>=',
      0.85,
      (v) => `${saturationBelow(palaver) !== undefined ? '< ' : ''}${v.toFixed(2)}×`,
    ),
    checkGoal(
      'Palaver deliveries per server CPU-second ≥ 0.85 × bare Socket.IO (same goal, CPU-normalised)',
      ratio(deliveriesPerCpuSecond(palaver), bareEfficiency),
      '>=',
      0.85,
      (v) => `${v.toFixed(2)}×`,
    ),
    checkGoal(
      'Palaver p99 < 50 ms at half of saturation',
      palaver?.halfSaturation?.deliver.p99,
      '<',
      50,
      (v) => `${formatNumber(v)} ms`,
    ),
  ]);
  return `### Summary\n\n${summary}\n\n### Goals\n\n${goals}\n\n### Every step\n\n${steps}\n`;
}

/** Throughput and latency percentiles against offered load, one colour per target. */
export function fanoutPlot(results: FanoutTargetResult[]): object {
  const points = results.flatMap((r) =>
    r.steps.map((s) => ({
      target: r.target,
      offered: Math.round(s.offeredDeliveriesPerSecond),
      delivered: Math.round(s.deliveredPerSecond),
      p50: s.deliver.p50,
      p95: s.deliver.p95,
      p99: s.deliver.p99,
    })),
  );
  const x = {
    field: 'offered',
    type: 'quantitative',
    title: 'offered deliveries/s (log)',
    scale: { type: 'log' },
  };
  const color = { field: 'target', type: 'nominal', title: 'target' };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    data: { values: points },
    hconcat: [
      {
        title: 'Delivered vs offered',
        width: 360,
        height: 260,
        mark: { type: 'line', point: true },
        encoding: { x, y: { field: 'delivered', type: 'quantitative', title: 'delivered msgs/s' }, color },
      },
      {
        title: 'Send→deliver latency',
        width: 360,
        height: 260,
        transform: [{ fold: ['p50', 'p95', 'p99'], as: ['percentile', 'ms'] }],
        mark: { type: 'line', point: true },
        encoding: {
          x,
          y: { field: 'ms', type: 'quantitative', title: 'latency ms (log)', scale: { type: 'log' } },
          color,
          strokeDash: { field: 'percentile', type: 'nominal', title: 'percentile' },
        },
      },
    ],
  };
}

async function runFanout(
  options: ScenarioOptions,
  latencyFocus: boolean,
): Promise<ScenarioOutput<FanoutDetail>> {
  const p = parameters(options, latencyFocus);
  const results: FanoutTargetResult[] = [];
  for (const target of options.targets) {
    options.log(`${target.name}: starting (${p.connections} connections, ${p.rooms} rooms)`);
    let running: RunningTarget | undefined;
    try {
      running = await target.start({
        connections: p.connections,
        rooms: p.rooms,
        users: options.overrides.users,
      });
      results.push(await runTarget(options, running, p));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      options.log(`  ${target.name} could not start: ${message}`);
      results.push({ target: target.name, connected: 0, connectSeconds: 0, steps: [], error: message });
    } finally {
      await running?.stop();
    }
  }
  const notes = [
    `Each step sends at a fixed aggregate rate for ${p.stepMs / 1000} s over ${p.rooms} rooms of ` +
      `${p.connections / p.rooms} connections; the rate grows ×${p.growth} until p99 > ${p.p99LimitMs} ms ` +
      `or under 95 % of deliveries arrive${p.retries ? ' on two steps running at the same rate' : ''}.`,
    'Deliveries per server CPU-second (server process tree, /proc utime+stime) is the figure least ' +
      'disturbed by other load on the machine; saturation and latency depend on the CPU the server gets.',
    'Latency is send→deliver for every receiver (the sender included where the server echoes), on the ' +
      "generator's clock; the generator is one process holding every connection (its CPU is shown).",
  ];
  return {
    parameters: { ...p },
    notes,
    detail: { targets: results },
    markdown: summaryMarkdown(results, p),
    plot: fanoutPlot(results),
  };
}

/** Re-renders the tables and plot of a stored fanout/latency run (`npm run bench -- report <json>`). */
function renderFanout(run: ScenarioRun): { markdown: string; plot: object } {
  const detail = run.detail as FanoutDetail;
  return {
    markdown: summaryMarkdown(detail.targets, run.parameters as unknown as FanoutParameters),
    plot: fanoutPlot(detail.targets),
  };
}

export const fanoutScenario: Scenario = {
  name: 'fanout',
  render: renderFanout,
  summary:
    '1,000 clients in 10 rooms, rate grows until p99 > 100 ms; saturation throughput and latency at half of it',
  run: (options) => runFanout(options, false),
};

export const latencyScenario: Scenario = {
  name: 'latency',
  render: renderFanout,
  summary: 'coarse ramp to find saturation, then a long step at half of it: latency percentiles',
  run: (options) => runFanout(options, true),
};
