/** The range a card's chart asks InfluxDB for (console/series.ts); the query itself runs against a real InfluxDB in test/integration/console-series.test.ts. */
import { silentLogger } from '../kernel/logger';
import { SeriesReader, SERIES_AFTER_MS, SERIES_BEFORE_MS, SERIES_MAX_SPAN_MS } from './series';

const MIN = 60_000;
const NOW = Date.parse('2026-12-07T12:00:00Z');
const reader = new SeriesReader({ log: silentLogger(), now: () => NOW });
const alert = (startsAt: number, endsAt?: number) => ({
  stream: 'people',
  key: 'g1',
  detector: 'busy',
  startsAt: new Date(startsAt).toISOString(),
  ...(endsAt ? { endsAt: new Date(endsAt).toISOString() } : {}),
});

describe('SeriesReader.range', () => {
  it('covers 30 min before the start to 5 min after now (firing) or after the end (resolved)', () => {
    expect(reader.range(alert(NOW - 10 * MIN))).toEqual({ from: NOW - 10 * MIN - SERIES_BEFORE_MS, to: NOW + SERIES_AFTER_MS });
    expect(reader.range(alert(NOW - 100 * MIN, NOW - 90 * MIN))).toEqual({ from: NOW - 130 * MIN, to: NOW - 85 * MIN });
  });

  it('keeps the span after a start that is ahead of the wall clock (event time of a fast simulator)', () => {
    const ahead = NOW + 3 * 3_600_000;
    expect(reader.range(alert(ahead))).toEqual({ from: ahead - SERIES_BEFORE_MS, to: ahead + SERIES_AFTER_MS });
  });

  it('shows at most the last 6 h of a long-firing alert', () => {
    const r = reader.range(alert(NOW - 48 * 3_600_000));
    expect(r.to - r.from).toBe(SERIES_MAX_SPAN_MS);
    expect(r.to).toBe(NOW + SERIES_AFTER_MS);
  });

  it('answers "store" with no points and no note when no InfluxDB sink is configured', async () => {
    await expect(reader.read(alert(NOW))).resolves.toEqual({ source: 'store', points: [] });
  });
});
