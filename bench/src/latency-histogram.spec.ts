import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LatencyHistogram } from './latency-histogram';
import { readStamp, stampBody } from './message-codecs';

describe('latency histogram', () => {
  it('reports percentiles in milliseconds within HdrHistogram precision', () => {
    const histogram = new LatencyHistogram();
    for (let ms = 1; ms <= 100; ms++) histogram.recordMs(ms);
    const summary = histogram.summary();
    assert.equal(summary.count, 100);
    assert.ok(Math.abs(summary.p50 - 50) < 0.1, `p50 ${summary.p50}`);
    assert.ok(Math.abs(summary.p99 - 99) < 0.1, `p99 ${summary.p99}`);
    assert.ok(Math.abs(summary.max - 100) < 0.1, `max ${summary.max}`);
    assert.ok(Math.abs(summary.mean - 50.5) < 0.1, `mean ${summary.mean}`);
  });

  it('keeps sub-millisecond resolution and starts empty after a reset', () => {
    const histogram = new LatencyHistogram();
    histogram.recordMs(0.25);
    assert.equal(histogram.summary().p50, 0.25);
    histogram.reset();
    assert.deepEqual(histogram.summary(), { count: 0, mean: 0, p50: 0, p95: 0, p99: 0, max: 0 });
  });
});

describe('message stamps', () => {
  it('round-trips sequence and send time through a padded body', () => {
    const body = stampBody(42, 1234.5678, 64);
    assert.equal(body.length, 64);
    assert.deepEqual(readStamp(body), { seq: 42, sentAtMs: 1234.568 });
  });

  it('ignores bodies that are not bench traffic', () => {
    assert.equal(readStamp('hello'), undefined);
    assert.equal(readStamp('bench|x'), undefined);
  });
});
