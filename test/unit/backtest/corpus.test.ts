/**
 * The labelled corpus: deterministic, NAB-shaped, and a regression floor for the default profile on
 * a held-out seed (the measured score is in docs/backtest.md; this only guards against a collapse).
 */
import { generateCorpus, corpusLabels } from '../../corpus/generate';
import { scoreWithUnivariate } from '../../corpus/evaluate';
import { sweep } from '../../../backtest/nab';

describe('synthetic labelled corpus', () => {
  it('is deterministic per seed and differs between seeds', () => {
    const a = generateCorpus(5);
    const b = generateCorpus(5);
    const c = generateCorpus(6);
    expect(JSON.stringify(a.map((s) => s.values))).toBe(JSON.stringify(b.map((s) => s.values)));
    expect(corpusLabels(a)).toEqual(corpusLabels(b));
    expect(a[10].values.slice(0, 50)).not.toEqual(c[10].values.slice(0, 50));
  });

  it('has ~50 NAB-like series: every category, intervals 5 s to 1 h, every anomaly kind, windows 10% of rows off probation', () => {
    const corpus = generateCorpus(3);
    expect(corpus.length).toBeGreaterThanOrEqual(48);
    expect(new Set(corpus.map((s) => s.category))).toEqual(
      new Set([
        'artificialNoAnomaly',
        'artificialWithAnomaly',
        'realTraffic',
        'realKnownCause',
        'realAWSCloudwatch',
        'realTweets',
        'realAdExchange',
      ]),
    );
    const intervals = corpus.map((s) => s.intervalSec);
    expect(Math.min(...intervals)).toBe(5);
    expect(Math.max(...intervals)).toBe(3600);
    const kinds = new Set(corpus.flatMap((s) => s.anomalies.map((a) => a.kind)));
    expect([...kinds].sort()).toEqual(['dip', 'drift', 'flatline', 'level_shift', 'pattern_break', 'spike', 'variance']);
    for (const s of corpus) {
      const n = s.ts.length;
      const covered = s.windows.reduce((a, [lo, hi]) => a + hi - lo + 1, 0);
      if (s.windows.length > 0) expect(Math.abs(covered - 0.1 * n)).toBeLessThanOrEqual(2 * s.windows.length + 1);
      for (const [lo] of s.windows) expect(lo).toBeGreaterThanOrEqual(Math.min(Math.floor(0.15 * n), 750));
      let sorted = true;
      for (let i = 1; i < n; i++) if (!(s.ts[i] > s.ts[i - 1])) sorted = false;
      expect(sorted).toBe(true);
    }
  });

  it('the default profile keeps a NAB score well above the windowed-Gaussian baseline on a held-out seed', () => {
    const scored = generateCorpus(4).map((s) => scoreWithUnivariate(s));
    expect(sweep(scored).best.normalized).toBeGreaterThan(55);
  });
});
