/** Pure helpers that turn measurements into Markdown; unit-tested in report-format.spec.ts. */

/** a ÷ b, or undefined when either is missing or b is zero. */
export function ratio(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0)
    return undefined;
  return a / b;
}

/** Nearest-rank percentile of a small sample (exact, unlike a histogram's buckets); undefined when empty. */
export function percentile(values: number[], pct: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((pct / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}

/** Thousands separated integers, 3 significant digits below 100, '—' for missing. */
export function formatNumber(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '—';
  const abs = Math.abs(value);
  if (abs >= 100) return Math.round(value).toLocaleString('en-US');
  if (abs === 0) return '0';
  return Number(value.toPrecision(3)).toString();
}

export function formatRatio(value: number | undefined): string {
  return value === undefined ? '—' : `${value.toFixed(2)}×`;
}

export function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined || !Number.isFinite(bytes)) return '—';
  const abs = Math.abs(bytes);
  if (abs >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
  if (abs >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  if (abs >= 2 ** 10) return `${(bytes / 2 ** 10).toFixed(1)} KiB`;
  return `${Math.round(bytes)} B`;
}

/** A GitHub-flavoured Markdown table; cells are escaped for '|'. */
export function markdownTable(headers: string[], rows: string[][]): string {
  const escape = (cell: string) => cell.replace(/\|/g, '\\|');
  const lines = [
    `| ${headers.map(escape).join(' | ')} |`,
    `| ${headers.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
    ...rows.map((row) => `| ${row.map(escape).join(' | ')} |`),
  ];
  return lines.join('\n');
}

export interface GoalCheck {
  goal: string;
  measured: string;
  met: boolean | undefined;
}

/** `measured <= limit` (or >=) as a goal row; undefined measured means "not measured". */
export function checkGoal(
  goal: string,
  measured: number | undefined,
  comparison: '<=' | '>=' | '<',
  limit: number,
  show: (value: number) => string,
): GoalCheck {
  if (measured === undefined || !Number.isFinite(measured))
    return { goal, measured: 'not measured', met: undefined };
  const met =
    comparison === '<=' ? measured <= limit : comparison === '<' ? measured < limit : measured >= limit;
  return { goal, measured: show(measured), met };
}

export function goalsTable(goals: GoalCheck[]): string {
  return markdownTable(
    ['goal', 'measured', 'met'],
    goals.map((g) => [g.goal, g.measured, g.met === undefined ? '—' : g.met ? 'yes' : '**no**']),
  );
}
