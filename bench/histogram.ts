import * as hdr from 'hdr-histogram-js';

/** Latency summary in milliseconds (what the report and --json show). */
export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

/**
 * HDR latency histogram: values recorded in microseconds, 3 significant digits (0.1 % relative
 * error at any magnitude), up to 10 minutes. Negative values (a clock step) count as 0.
 */
export class LatencyHistogram {
  private readonly h: hdr.Histogram;

  constructor() {
    this.h = hdr.build({
      bitBucketSize: 64,
      lowestDiscernibleValue: 1,
      highestTrackableValue: 600_000_000,
      numberOfSignificantValueDigits: 3,
      autoResize: true,
    });
  }

  /** Records one latency in milliseconds (fractions kept to the microsecond). */
  recordMs(ms: number): void {
    this.h.recordValue(ms > 0 ? Math.round(ms * 1000) : 0);
  }

  /** Records `count` samples of the same latency (a batch committed at once). */
  recordMsCount(ms: number, count: number): void {
    if (count > 0) this.h.recordValueWithCount(ms > 0 ? Math.round(ms * 1000) : 0, count);
  }

  get count(): number {
    return this.h.totalCount;
  }

  /** Value at percentile p (0–100), in ms; NaN when empty. */
  percentileMs(p: number): number {
    if (this.h.totalCount === 0) return NaN;
    return this.h.getValueAtPercentile(p) / 1000;
  }

  maxMs(): number {
    return this.h.totalCount === 0 ? NaN : this.h.maxValue / 1000;
  }

  summary(): LatencySummary {
    return {
      count: this.count,
      p50: round3(this.percentileMs(50)),
      p99: round3(this.percentileMs(99)),
      p999: round3(this.percentileMs(99.9)),
      max: round3(this.maxMs()),
    };
  }

  add(other: LatencyHistogram): void {
    this.h.add(other.h);
  }

  reset(): void {
    this.h.reset();
  }
}

function round3(x: number): number {
  return Number.isFinite(x) ? Math.round(x * 1000) / 1000 : x;
}
