import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkGoal,
  formatBytes,
  formatNumber,
  formatRatio,
  goalsTable,
  markdownTable,
  percentile,
  ratio,
} from './report-format';

describe('report formatting', () => {
  it('divides only when both sides are measured and the divisor is not zero', () => {
    assert.equal(ratio(85, 100), 0.85);
    assert.equal(ratio(undefined, 100), undefined);
    assert.equal(ratio(85, 0), undefined);
    assert.equal(ratio(Number.NaN, 2), undefined);
  });

  it('prints large numbers with separators, small ones with 3 significant digits, missing as a dash', () => {
    assert.equal(formatNumber(123456.7), '123,457');
    assert.equal(formatNumber(3.14159), '3.14');
    assert.equal(formatNumber(0), '0');
    assert.equal(formatNumber(undefined), '—');
    assert.equal(formatRatio(0.8512), '0.85×');
    assert.equal(formatBytes(1536), '1.5 KiB');
    assert.equal(formatBytes(3 * 2 ** 20), '3.0 MiB');
  });

  it('takes nearest-rank percentiles of a small sample exactly', () => {
    assert.equal(percentile([30, 10, 20], 50), 20);
    assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95), 10);
    assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 10), 1);
    assert.equal(percentile([], 50), undefined);
  });

  it('builds a Markdown table with right-aligned figures and escaped pipes', () => {
    const table = markdownTable(['target', 'msgs/s'], [['a|b', '1']]);
    assert.equal(table, '| target | msgs/s |\n| --- | ---: |\n| a\\|b | 1 |');
  });

  it('marks a goal met, missed or not measured', () => {
    const show = (v: number) => `${v}`;
    assert.equal(checkGoal('ratio', 0.9, '>=', 0.85, show).met, true);
    assert.equal(checkGoal('ratio', 0.8, '>=', 0.85, show).met, false);
    assert.equal(checkGoal('p99', 50, '<', 50, show).met, false);
    assert.equal(checkGoal('heap', 1.2, '<=', 1.2, show).met, true);
    const missing = checkGoal('p99', undefined, '<', 50, show);
    assert.equal(missing.met, undefined);
    assert.match(
      goalsTable([missing, checkGoal('ratio', 0.8, '>=', 0.85, show)]),
      /not measured \| — \|\n.*\*\*no\*\*/,
    );
  });
});
