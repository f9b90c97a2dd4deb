/**
 * The real-background corpus (test/corpus/real): its backgrounds are the vega-datasets series,
 * its labels follow NAB's rules (its backgrounds' documented events labelled too), every kind of the taxonomy and every quirk is in it; and the
 * leave-one-source-out evaluation chooses on the other sources only (a hand-computed case).
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { backgrounds, generateRealCorpus, sourcesOf } from '../../corpus/real/generate';
import { leaveOneSourceOut, type Judged } from '../../corpus/real/evaluate';
import { STANDARD_PROFILE, probationLength } from '../../../backtest/nab';

describe('real-background corpus', () => {
  const corpus = generateRealCorpus();

  it('is deterministic and varies between seeds', () => {
    const again = generateRealCorpus();
    expect(JSON.stringify(again)).toBe(JSON.stringify(corpus));
    const other = generateRealCorpus(2);
    expect(JSON.stringify(other.map((s) => s.windows))).not.toBe(JSON.stringify(corpus.map((s) => s.windows)));
  });

  it('reads its backgrounds from the vega-datasets files as they are', () => {
    const dir = path.join(path.dirname(require.resolve('vega-datasets')), '..', 'data');
    const co2 = readFileSync(path.join(dir, 'co2-concentration.csv'), 'utf8').trim().split('\n');
    const b = backgrounds();
    const mauna = b.find((x) => x.source === 'co2')!;
    expect(mauna.values.length).toBe(co2.length - 1);
    expect(mauna.values[0]).toBe(Number(co2[1].split(',')[1]));
    expect(mauna.ts[0]).toBe(Date.UTC(1958, 2, 1));
    const hourly = b.filter((x) => x.source === 'noaa-hourly');
    expect(hourly.map((x) => x.values.length)).toEqual([8759, 8759, 8759]);
    // flights: 20,000 departures bucketed per hour over Jan–Mar 2001
    expect(b.find((x) => x.name === 'departures')!.values.reduce((a, v) => a + v, 0)).toBe(20000);
  });

  it('has eight sources, every anomaly kind of the taxonomy and every quirk', () => {
    expect(sourcesOf(corpus)).toEqual(['noaa-hourly', 'sp500', 'noaa-daily', 'github', 'flights', 'birdstrikes', 'co2', 'usgs-quakes']);
    const kinds = new Set(corpus.flatMap((s) => s.anomalies.map((a) => a.kind)));
    expect([...kinds].sort()).toEqual([
      'contextual',
      'dip',
      'flatline',
      'known_event',
      'level_shift',
      'missing_burst',
      'seasonality_break',
      'spike',
      'trend_change',
      'variance',
    ]);
    expect(new Set(corpus.flatMap((s) => s.quirks))).toEqual(new Set(['saturation', 'gaps', 'clock_jump', 'jitter', 'duplicates']));
    const jumped = corpus.filter((s) => s.quirks.includes('clock_jump'));
    for (const s of jumped) expect(s.ts.some((t, i) => i > 0 && t < s.ts[i - 1])).toBe(true);
    const duplicated = corpus.filter((s) => s.quirks.includes('duplicates'));
    expect(duplicated.some((s) => s.ts.some((t, i) => i > 0 && t === s.ts[i - 1]))).toBe(true);
  });

  it('labels as NAB does: a window per anomaly or known event, centred on its onset, off probation, ~10 % of the rows, none overlapping', () => {
    for (const s of corpus) {
      const n = s.ts.length;
      const p = probationLength(n);
      let covered = 0;
      s.windows.forEach(([a, b], w) => {
        const rows = s.ts.map((t, i) => (t >= a && t <= b ? i : -1)).filter((i) => i >= 0);
        covered += rows.length;
        expect(rows[0]).toBeGreaterThanOrEqual(p);
        const inside = s.anomalies.filter((x) => x.onset >= a && x.onset <= b);
        expect(inside.length).toBeGreaterThan(0);
        if (inside.length === 1 && rows[rows.length - 1] < n - 1) {
          // centred (unless cut by the end of the file: the 2020 crash is 40 trading days before
          // sp500's end): as many rows before the onset as after, within the rows a gap or a duplicate moves
          const onset = s.ts.findIndex((t) => t === inside[0].onset);
          const before = rows.filter((i) => i < onset).length;
          expect(Math.abs(before - (rows.length - 1 - before))).toBeLessThanOrEqual(32);
        }
        if (w > 0) expect(a).toBeGreaterThan(s.windows[w - 1][1]);
      });
      // every onset in a window; overlapping windows were merged into one
      for (const x of s.anomalies) expect(s.windows.some(([a, b]) => x.onset >= a && x.onset <= b)).toBe(true);
      expect(s.windows.length).toBeLessThanOrEqual(s.anomalies.length);
      expect(covered).toBeGreaterThan(0.05 * n);
      expect(covered).toBeLessThan(0.13 * n);
    }
  });

  it("labels the backgrounds' documented events, and injects the same anomalies with or without them", () => {
    const close = corpus.find((s) => s.path === 'sp500/close_v0.csv')!;
    const known = close.anomalies.filter((a) => a.kind === 'known_event').map((a) => new Date(a.onset).toISOString().slice(0, 10));
    expect(known).toEqual(['2008-09-15', '2020-02-20']);
    const strikes = corpus.find((s) => s.path === 'birdstrikes/strikes_per_day_v0.csv')!;
    expect(strikes.anomalies.filter((a) => a.kind === 'known_event').map((a) => a.onset)).toEqual([Date.UTC(2001, 8, 11)]);
    expect(corpus.filter((s) => s.source === 'usgs-quakes').flatMap((s) => s.anomalies.filter((a) => a.kind === 'known_event'))).toEqual(
      [],
    );
    const bare = generateRealCorpus(1, { knownEvents: false });
    bare.forEach((s, i) => {
      expect(s.values).toEqual(corpus[i].values);
      expect(s.anomalies).toEqual(corpus[i].anomalies.filter((a) => a.kind !== 'known_event'));
      expect(s.anomalies.some((a) => a.kind === 'known_event')).toBe(false);
    });
  });

  it('keeps every value of a floored background at or above its floor, and only clamping differs from the unfloored corpus', () => {
    const floors = new Map(backgrounds().map((b) => [`${b.source}/${b.name}`, b.counts ? (b.floor ?? 0) : b.floor]));
    // what each series measures: amounts, speeds, prices and counts cannot be negative; temperatures and delays can
    expect(floors.get('noaa-daily/sea_precipitation')).toBe(0);
    expect(floors.get('noaa-hourly/wind')).toBe(0);
    expect(floors.get('github/commits')).toBe(1); // hours without commits have no row
    expect(floors.get('birdstrikes/strikes_per_day')).toBe(0);
    expect(floors.get('noaa-daily/nyc_temp_max')).toBeUndefined();
    expect(floors.get('flights/mean_delay')).toBeUndefined();
    let floored = 0;
    for (const s of corpus) {
      const floor = floors.get(s.path.replace(/_v\d\.csv$/, ''));
      if (floor === undefined) continue;
      floored++;
      expect(Math.min(...s.values)).toBeGreaterThanOrEqual(floor);
    }
    expect(floored).toBe(4 * 13);
    const raw = generateRealCorpus(1, { floors: false });
    // the injector without floors drove rain and wind below 0 (what round 3's bound feature found)
    expect(raw.some((s) => /precipitation|wind/.test(s.path) && s.values.some((v) => v < 0))).toBe(true);
    let changed = 0;
    let erased = 0;
    raw.forEach((s, i) => {
      // The same draws: an anomaly the floor erased entirely (rows back at the floor) keeps no label;
      // every other anomaly, and then the windows, are the same.
      const kept = corpus[i].anomalies;
      const gone = s.anomalies.filter((a) => !kept.some((k) => k.onset === a.onset && k.kind === a.kind));
      expect(s.anomalies.filter((a) => !gone.includes(a))).toEqual(kept);
      const floor0 = floors.get(s.path.replace(/_v\d\.csv$/, ''));
      for (const a of gone) {
        erased++;
        expect(floor0).toBeDefined();
        const rows = corpus[i].ts.map((t, k) => (t >= a.onset && t <= a.end ? corpus[i].values[k] : floor0));
        expect(rows.every((v) => v === floor0)).toBe(true);
      }
      if (!gone.length) expect(s.windows).toEqual(corpus[i].windows);
      expect(s.ts).toEqual(corpus[i].ts);
      const floor = floors.get(s.path.replace(/_v\d\.csv$/, '')) ?? -Infinity;
      // a value below the floor saturates at it; any other difference comes after an injection (a later anomaly read a clamped value)
      const firstOnset = Math.min(...s.anomalies.filter((a) => a.kind !== 'known_event').map((a) => a.onset));
      s.values.forEach((v, k) => {
        if (v < floor) expect(corpus[i].values[k]).toBe(floor);
        else if (v !== corpus[i].values[k]) expect(s.ts[k]).toBeGreaterThanOrEqual(firstOnset);
        if (v !== corpus[i].values[k]) changed++;
      });
    });
    expect(changed).toBeGreaterThan(0);
    expect(erased).toBe(3); // two dips on dry days, one on github's floor of one commit (seed 1)
  });
});

describe('leave-one-source-out', () => {
  // Two sources, one file each: 40 rows (6 probationary), one window over rows 20–23.
  const file = (source: string, scores: Record<number, number>): Judged => {
    const ts = Array.from({ length: 40 }, (_, i) => i * 1000);
    const s = new Float64Array(40);
    for (const [i, v] of Object.entries(scores)) s[Number(i)] = v;
    return { name: `${source}/f.csv`, source, ts, scores: s, alert: new Uint8Array(40), windows: [[20_000, 23_000]] };
  };

  it('scores each source at the threshold chosen on the others', () => {
    const a = file('a', { 20: 0.9 });
    const b = file('b', { 20: 0.6, 30: 0.95 }); // its anomaly scores lower than its false detection
    const r = leaveOneSourceOut([[a, b]], STANDARD_PROFILE, 'standard');
    // a held out: chosen on b, where 0.6 is best (window at its first row +1, false detection −0.11)
    expect(r.perSource.a.threshold).toBe(0.6);
    expect(r.perSource.a.chosen).toBeCloseTo(100, 10);
    // b held out: chosen on a (0.9): b's window is missed (−1) and row 30 is false,
    // 7 rows after a 3-row-long window: 0.11·σ̃(7/3), σ̃(y) = 2/(1 + e^{5y}) − 1
    const fp = 0.11 * (2 / (1 + Math.exp((5 * 7) / 3)) - 1);
    expect(r.perSource.b.threshold).toBe(0.9);
    expect(r.perSource.b.chosen).toBeCloseTo((100 * (-1 + fp + 1)) / 2, 6);
    // pooled: raw 1 + (−1 + fp) over 2 windows
    expect(r.chosen).toBeCloseTo((100 * (fp + 2)) / 4, 6);
    // the oracle: one threshold over both held-out files (0.6: both windows, one false)
    expect(r.best).toBeCloseTo((100 * (2 + fp + 2)) / 4, 6);
  });

  it('picks, per fold, the candidate that scores best on the other sources', () => {
    const good = [file('a', { 20: 0.9 }), file('b', { 20: 0.9 })];
    const bad = [file('a', { 30: 0.9 }), file('b', { 20: 0.9 })];
    const r = leaveOneSourceOut([bad, good], STANDARD_PROFILE, 'standard');
    expect(r.perSource.a.candidate).toBe(0); // chosen on b, where both candidates tie: the first
    expect(r.perSource.b.candidate).toBe(1); // chosen on a, where only the second finds the window
    expect(r.perSource.b.chosen).toBeCloseTo(100, 10);
  });
});
