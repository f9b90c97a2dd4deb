import { InfluxDB, flux, fluxDateTime, fluxInteger, type QueryApi } from '@influxdata/influxdb-client';
import type { Logger } from 'pino';
import type { InfluxDbSinkConfig } from '../sinks/influxdb';
import { safeUrl } from '../sinks/influxdb';
import { outcomeWithin } from '../kernel/settle';

/** How far before an alert's start the chart reaches, and after its end (or now). */
export const SERIES_BEFORE_MS = 30 * 60_000;
export const SERIES_AFTER_MS = 5 * 60_000;
/** The longest span a chart asks for, and the most points: a long-firing alert shows its last 6 h. */
export const SERIES_MAX_SPAN_MS = 6 * 3_600_000;
export const SERIES_MAX_POINTS = 2000;
/** How long a chart waits for InfluxDB before falling back to what the alert store keeps. */
export const SERIES_TIMEOUT_MS = 3000;

/** What a series query needs to know of the alert. */
export interface SeriesAlert {
  stream: string;
  key: string;
  detector: string;
  startsAt: string;
  endsAt?: string;
}

/** A chart's points: from InfluxDB, or none (the card draws the alert store's evidence) with a note saying why. */
export interface SeriesAnswer {
  source: 'influxdb' | 'store';
  from?: string;
  to?: string;
  points: Array<{ t: number; value?: number; baseline?: number }>;
  note?: string;
}

/**
 * The recent series of an alert's key, read back from the InfluxDB sink the workers write
 * (sinks/points.ts: measurement = stream, tags key and detector, fields value and baseline) over
 * a bounded range around the alert, with a timeout. InfluxDB down or slow is not an error for the
 * card: the answer says so and the card draws the evidence the alert store keeps.
 */
export class SeriesReader {
  private readonly query?: QueryApi;
  private readonly where: string;

  constructor(private readonly o: { sink?: InfluxDbSinkConfig; token?: string; log: Logger; now?: () => number; timeoutMs?: number }) {
    const s = o.sink;
    this.where = s ? safeUrl(s.url) : '';
    if (s) this.query = new InfluxDB({ url: s.url, token: o.token ?? '', timeout: o.timeoutMs ?? SERIES_TIMEOUT_MS }).getQueryApi(s.org);
  }

  /**
   * The range a chart of this alert covers: from before its start to after its end (or now), at
   * most SERIES_MAX_SPAN_MS. Alert times are event times, which may run ahead of the wall clock
   * (a simulator at --speed, a replay): a firing alert that started "in the future" still gets
   * the span after its start.
   */
  range(a: SeriesAlert): { from: number; to: number } {
    const now = (this.o.now ?? Date.now)();
    const start = Date.parse(a.startsAt);
    const to = (a.endsAt ? Date.parse(a.endsAt) : Math.max(now, start)) + SERIES_AFTER_MS;
    const from = Math.max(start - SERIES_BEFORE_MS, to - SERIES_MAX_SPAN_MS);
    return { from, to };
  }

  async read(a: SeriesAlert): Promise<SeriesAnswer> {
    if (!this.query || !this.o.sink) return { source: 'store', points: [] };
    const { from, to } = this.range(a);
    const q = flux`from(bucket: ${this.o.sink.bucket})
  |> range(start: ${fluxDateTime(new Date(from).toISOString())}, stop: ${fluxDateTime(new Date(to).toISOString())})
  |> filter(fn: (r) => r._measurement == ${a.stream} and r.key == ${a.key} and r.detector == ${a.detector})
  |> filter(fn: (r) => r._field == "value" or r._field == "baseline")
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
  |> sort(columns: ["_time"], desc: true)
  |> limit(n: ${fluxInteger(SERIES_MAX_POINTS)})`;
    const timeout = this.o.timeoutMs ?? SERIES_TIMEOUT_MS;
    const got = await outcomeWithin(this.query.collectRows<Record<string, unknown>>(q), timeout);
    if (got === 'timeout' || 'error' in got) {
      const why = got === 'timeout' ? `no answer within ${timeout / 1000} s` : String((got.error as Error)?.message ?? got.error);
      this.o.log.warn({ influxdb: this.where, reason: why }, 'console chart: InfluxDB did not answer; the card shows the stored evidence');
      return {
        source: 'store',
        points: [],
        note: `InfluxDB (${this.where}) did not answer (${why.slice(0, 200)}): the chart shows the alert's stored evidence only`,
      };
    }
    const points = got.value
      .map((r) => ({ t: Date.parse(String(r._time)), value: finite(r.value), baseline: finite(r.baseline) }))
      .filter((p) => Number.isFinite(p.t))
      .reverse();
    return { source: 'influxdb', from: new Date(from).toISOString(), to: new Date(to).toISOString(), points };
  }
}

function finite(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}
