import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderSvg } from './plot-renderer';
import type { ScenarioOutput, ScenarioRun } from './scenarios/scenario';
import type { MachineInfo } from './machine';

export const RESULTS_DIR = join(__dirname, '..', '..', 'results');

/** `2026-11-23T12-30-05Z`: sortable and safe in file names. */
export function fileStamp(date: Date): string {
  return date
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/:/g, '-');
}

export function machineLine(machine: MachineInfo): string {
  return (
    `${machine.nproc} × ${machine.cpuModel}, ${machine.memoryGiB} GiB, Node ${machine.node}, ` +
    `Linux ${machine.kernel}, load average ${machine.loadAverage} at start`
  );
}

export function runMarkdown(
  run: ScenarioRun,
  output: Pick<ScenarioOutput, 'markdown'>,
  svgName: string | undefined,
): string {
  const lines = [
    `# ${run.scenario}${run.quick ? ' (quick)' : ''} — ${run.startedAt}`,
    '',
    `Command: \`${run.command}\`  `,
    `Machine: ${machineLine(run.machine)}`,
    '',
    `Parameters: ${Object.entries(run.parameters)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ')}`,
    '',
    ...run.notes.map((n) => `- ${n}`),
    '',
    output.markdown,
  ];
  if (svgName) lines.push('', `![${run.scenario}](${svgName})`, '');
  return lines.join('\n');
}

/** Writes <scenario>-<stamp>.json, .md and (with a plot) .svg; returns their paths. */
export async function writeRunFiles(
  run: ScenarioRun,
  output: Pick<ScenarioOutput, 'markdown' | 'plot'>,
  dir = RESULTS_DIR,
): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const base = `${run.scenario}${run.quick ? '-quick' : ''}-${fileStamp(new Date(run.startedAt))}`;
  const written: string[] = [];
  let svgName: string | undefined;
  if (output.plot) {
    try {
      svgName = `${base}.svg`;
      await writeFile(join(dir, svgName), await renderSvg(output.plot));
      written.push(join(dir, svgName));
    } catch (error) {
      svgName = undefined;
      run.notes.push(`plot failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  await writeFile(join(dir, `${base}.json`), JSON.stringify(run, null, 2) + '\n');
  written.push(join(dir, `${base}.json`));
  await writeFile(join(dir, `${base}.md`), runMarkdown(run, output, svgName));
  written.push(join(dir, `${base}.md`));
  return written;
}
