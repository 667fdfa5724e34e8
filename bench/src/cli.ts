/**
 * `npm run bench -- <scenario> [--quick] [--targets=bare-socketio,raw-ws,palaver] [--<parameter>=<number>]`
 * Runs each target back to back under identical load and writes bench/results/<scenario>-<date>.{json,md,svg}.
 * Without a scenario it lists them.
 */
import { describeMachine } from './machine';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { summariseProfile, type CpuProfile } from './cpu-profile-summary';
import { formatNumber, markdownTable } from './report-format';
import { fileStamp, RESULTS_DIR, writeRunFiles } from './result-files';
import { fanoutScenario, latencyScenario } from './scenarios/fanout';
import { idleScenario } from './scenarios/idle';
import { catchUpScenario } from './scenarios/catch-up';
import type { Scenario, ScenarioRun } from './scenarios/scenario';
import { bareSocketIoTarget, rawWsTarget } from './targets/baseline-targets';
import { palaverTarget } from './targets/palaver-target';
import type { BenchTarget } from './targets/bench-target';

const SCENARIOS: Scenario[] = [fanoutScenario, latencyScenario, idleScenario, catchUpScenario];
const TARGETS: BenchTarget[] = [bareSocketIoTarget, rawWsTarget, palaverTarget];

export interface CliArguments {
  scenario?: string;
  quick: boolean;
  /** Run each server with --cpu-prof and add the cost tables to the report. */
  profile: boolean;
  targets?: string[];
  overrides: Record<string, number>;
}

export function parseArguments(argv: string[]): CliArguments {
  const parsed: CliArguments = { quick: false, profile: false, overrides: {} };
  for (const arg of argv) {
    if (arg === '--quick') parsed.quick = true;
    else if (arg === '--profile') parsed.profile = true;
    else if (arg.startsWith('--targets='))
      parsed.targets = arg.slice('--targets='.length).split(',').filter(Boolean);
    else if (/^--[a-zA-Z]+=/.test(arg)) {
      const [key, value] = arg.slice(2).split('=') as [string, string];
      const number = Number(value);
      if (!Number.isFinite(number)) throw new Error(`--${key} must be a number (got '${value}')`);
      parsed.overrides[key] = number;
    } else if (!arg.startsWith('--') && parsed.scenario === undefined) parsed.scenario = arg;
    else throw new Error(`unknown argument '${arg}'`);
  }
  return parsed;
}

function usage(): string {
  const width = Math.max(...SCENARIOS.map((s) => s.name.length));
  return [
    'usage: npm run bench -- <scenario> [--quick] [--profile] [--targets=a,b] [--<parameter>=<number>]',
    '',
    'scenarios:',
    ...SCENARIOS.map((s) => `  ${s.name.padEnd(width)}  ${s.summary}`),
    '',
    `targets (default all): ${TARGETS.map((t) => t.name).join(', ')}`,
    'results: bench/results/<scenario>-<date>.{json,md,svg}; see docs/performance.md',
    'redraw a stored run: npm run bench -- report bench/results/<run>.json',
  ].join('\n');
}

/** Cost tables of every server profile written as `dir/<target>.cpuprofile`. */
async function profileMarkdown(dir: string): Promise<string> {
  const sections: string[] = [`### CPU profiles of the ramp (self time; files in ${dir})`];
  const table = (rows: { name: string; selfMs: number; share: number }[]) =>
    markdownTable(
      ['where', 'self ms', 'share'],
      rows.map((r) => [r.name, formatNumber(r.selfMs), `${(r.share * 100).toFixed(1)} %`]),
    );
  for (const file of (await readdir(dir).catch(() => [] as string[])).filter((f) =>
    f.endsWith('.cpuprofile'),
  )) {
    const summary = summariseProfile(JSON.parse(await readFile(join(dir, file), 'utf8')) as CpuProfile);
    sections.push(
      `#### ${file.replace(/\.cpuprofile$/, '')}: ${formatNumber(summary.totalMs)} ms on CPU`,
      `By package / server folder:\n\n${table(summary.byPackage.slice(0, 15))}`,
      `By the innermost server function on the stack:\n\n${table(summary.byServerCaller.slice(0, 20))}`,
      `By function:\n\n${table(summary.byFunction.slice(0, 20))}`,
    );
  }
  return sections.length > 1 ? sections.join('\n\n') + '\n' : '';
}

/** `report <run.json>`: redraws the .md and .svg of a stored run beside it. */
async function rerender(path: string): Promise<number> {
  const run = JSON.parse(await readFile(path, 'utf8')) as ScenarioRun;
  const scenario = SCENARIOS.find((s) => s.name === run.scenario);
  if (!scenario?.render) {
    console.error(`${path}: scenario '${run.scenario}' cannot be redrawn`);
    return 2;
  }
  const files = await writeRunFiles(run, scenario.render(run), dirname(path));
  console.log(files.map((f) => `wrote ${f}`).join('\n'));
  return 0;
}

async function main(): Promise<number> {
  if (process.argv[2] === 'report' && process.argv[3]) return rerender(process.argv[3]);
  const args = parseArguments(process.argv.slice(2));
  const scenario = SCENARIOS.find((s) => s.name === args.scenario);
  if (!scenario) {
    if (args.scenario) console.error(`unknown scenario '${args.scenario}'\n`);
    console.log(usage());
    return args.scenario ? 2 : 0;
  }
  const targets = args.targets
    ? args.targets.map((name) => {
        const target = TARGETS.find((t) => t.name === name);
        if (!target)
          throw new Error(`unknown target '${name}' (known: ${TARGETS.map((t) => t.name).join(', ')})`);
        return target;
      })
    : TARGETS;
  const startedAt = new Date().toISOString();
  const machine = describeMachine();
  console.log(`${scenario.name}${args.quick ? ' (quick)' : ''} on ${machine.nproc} × ${machine.cpuModel}`);
  const profileDir = args.profile
    ? join(RESULTS_DIR, 'tmp', `profiles-${scenario.name}-${fileStamp(new Date(startedAt))}`)
    : undefined;
  const output = await scenario.run({
    quick: args.quick,
    targets,
    overrides: args.overrides,
    profileDir,
    log: (line) => console.log(line),
  });
  if (profileDir) output.markdown += `\n${await profileMarkdown(profileDir)}`;
  const run: ScenarioRun = {
    scenario: scenario.name,
    quick: args.quick,
    command: ['npm run bench --', ...process.argv.slice(2)].join(' '),
    startedAt,
    finishedAt: new Date().toISOString(),
    machine,
    parameters: output.parameters,
    notes: output.notes,
    detail: output.detail,
  };
  const files = await writeRunFiles(run, output);
  console.log(`\n${output.markdown}`);
  console.log(files.map((f) => `wrote ${f}`).join('\n'));
  return 0;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : String(error));
      process.exit(1);
    },
  );
}
