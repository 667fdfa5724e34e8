import * as hdr from 'hdr-histogram-js';

/** Percentiles of one latency distribution, in milliseconds. */
export interface LatencySummary {
  count: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export const EMPTY_SUMMARY: LatencySummary = { count: 0, mean: 0, p50: 0, p95: 0, p99: 0, max: 0 };

/**
 * Records latencies given in milliseconds (fractional) with microsecond resolution; an HdrHistogram keeps
 * the tail exact enough (3 significant digits) while costing a few array increments per record.
 */
export class LatencyHistogram {
  private readonly histogram = hdr.build({
    bitBucketSize: 32,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000,
    numberOfSignificantValueDigits: 3,
    autoResize: false,
  });

  recordMs(ms: number): void {
    this.histogram.recordValue(Math.max(1, Math.round(ms * 1000)));
  }

  get count(): number {
    return this.histogram.totalCount;
  }

  summary(): LatencySummary {
    const h = this.histogram;
    if (h.totalCount === 0) return { ...EMPTY_SUMMARY };
    const ms = (us: number) => Math.round(us) / 1000;
    return {
      count: h.totalCount,
      mean: ms(h.mean),
      p50: ms(h.getValueAtPercentile(50)),
      p95: ms(h.getValueAtPercentile(95)),
      p99: ms(h.getValueAtPercentile(99)),
      max: ms(h.maxValue),
    };
  }

  reset(): void {
    this.histogram.reset();
  }
}
