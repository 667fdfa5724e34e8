import type { MachineInfo } from '../machine';
import type { BenchTarget } from '../targets/bench-target';

export interface ScenarioOptions {
  quick: boolean;
  targets: BenchTarget[];
  /** Overrides from the command line (--connections, --rooms, ...). */
  overrides: Record<string, number>;
  /** With `--profile`: each server's CPU profile of the loaded phase goes to <profileDir>/<target>.cpuprofile. */
  profileDir?: string;
  log(line: string): void;
}

/** What every scenario writes to bench/results/<scenario>-<date>.json. */
export interface ScenarioRun<Detail = unknown> {
  scenario: string;
  quick: boolean;
  command: string;
  startedAt: string;
  finishedAt: string;
  machine: MachineInfo;
  parameters: Record<string, number | string>;
  notes: string[];
  detail: Detail;
}

export interface ScenarioOutput<Detail = unknown> {
  parameters: Record<string, number | string>;
  notes: string[];
  detail: Detail;
  /** Markdown body (tables, goals) for the .md report. */
  markdown: string;
  /** Vega-Lite spec rendered to the .svg, if the scenario has a plot. */
  plot?: object;
}

export interface Scenario {
  name: string;
  summary: string;
  run(options: ScenarioOptions): Promise<ScenarioOutput>;
  /** Tables (and plot) from a stored run, so reports can be redrawn without measuring again. */
  render?(run: ScenarioRun): { markdown: string; plot?: object };
}
