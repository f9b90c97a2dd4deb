import { Rng, Zipf, hashUniform, mix } from './random';

describe('Rng', () => {
  test('same seed and stream → same sequence; different seed or stream → different', () => {
    const a = new Rng(42, 1);
    const b = new Rng(42, 1);
    const c = new Rng(43, 1);
    const d = new Rng(42, 2);
    const sa = Array.from({ length: 50 }, () => a.uint32());
    expect(Array.from({ length: 50 }, () => b.uint32())).toEqual(sa);
    expect(Array.from({ length: 50 }, () => c.uint32())).not.toEqual(sa);
    expect(Array.from({ length: 50 }, () => d.uint32())).not.toEqual(sa);
  });

  test('large and fractional seeds are mixed, not truncated to 32 bits', () => {
    expect(mix(2 ** 40)).not.toBe(mix(2 ** 40 + 1));
    expect(mix(2 ** 40)).not.toBe(mix(0));
    expect(new Rng(2 ** 33).next()).not.toBe(new Rng(2 ** 34).next());
    expect(hashUniform(1, 2, 3)).toBe(hashUniform(1, 2, 3));
  });

  test('uniforms in [0,1) with the right mean; int and intRange stay in bounds', () => {
    const r = new Rng(7);
    let sum = 0;
    let bad = 0;
    for (let i = 0; i < 100_000; i++) {
      const x = r.next();
      if (!(x >= 0 && x < 1)) bad++;
      sum += x;
    }
    expect(bad).toBe(0);
    expect(sum / 100_000).toBeCloseTo(0.5, 2);
    const seen = new Set<number>();
    for (let i = 0; i < 10_000; i++) {
      const k = r.intRange(3, 7);
      if (!(k >= 3 && k <= 7 && Number.isInteger(k))) bad++;
      seen.add(k);
      if (r.int(4) >= 4) bad++;
    }
    expect(bad).toBe(0);
    expect([...seen].sort()).toEqual([3, 4, 5, 6, 7]);
  });

  test('normal, lognormal and exponential moments', () => {
    const r = new Rng(9);
    const n = 200_000;
    let s = 0;
    let s2 = 0;
    const logs: number[] = [];
    let es = 0;
    for (let i = 0; i < n; i++) {
      const z = r.normal();
      s += z;
      s2 += z * z;
      if (i < 20_000) logs.push(r.lognormal(40, 0.8));
      es += r.exponential(2);
    }
    expect(s / n).toBeCloseTo(0, 1);
    expect(Math.sqrt(s2 / n)).toBeCloseTo(1, 1);
    logs.sort((a, b) => a - b);
    expect(logs[logs.length >> 1]).toBeGreaterThan(37);
    expect(logs[logs.length >> 1]).toBeLessThan(43);
    expect(es / n).toBeCloseTo(0.5, 1);
  });

  test.each([0.05, 0.7, 4, 14.9, 15, 80])('poisson(%p) has mean and variance ≈ lambda', (lambda) => {
    const r = new Rng(11);
    const n = 50_000;
    let s = 0;
    let s2 = 0;
    let bad = 0;
    for (let i = 0; i < n; i++) {
      const k = r.poisson(lambda);
      if (!(Number.isInteger(k) && k >= 0)) bad++;
      s += k;
      s2 += k * k;
    }
    const mean = s / n;
    const variance = s2 / n - mean * mean;
    expect(bad).toBe(0);
    expect(Math.abs(mean - lambda)).toBeLessThan(0.03 * lambda + 0.01);
    expect(Math.abs(variance - lambda)).toBeLessThan(0.08 * lambda + 0.01);
    expect(r.poisson(0)).toBe(0);
  });

  test('shuffle is a permutation; pick returns members', () => {
    const r = new Rng(3);
    const xs = Array.from({ length: 20 }, (_, i) => i);
    const sh = r.shuffle(xs.slice());
    expect(sh.slice().sort((a, b) => a - b)).toEqual(xs);
    expect(sh).not.toEqual(xs);
    expect(xs).toContain(r.pick(xs));
  });
});

describe('Zipf', () => {
  test('rank frequencies decrease and match 1/(k+1)^s', () => {
    const z = new Zipf(10, 1.2);
    const r = new Rng(5);
    const counts = new Array(10).fill(0);
    const n = 100_000;
    for (let i = 0; i < n; i++) counts[z.sample(r)]++;
    for (let k = 0; k < 10; k++) expect(Math.abs(counts[k] / n - z.probability(k))).toBeLessThan(0.01);
    for (let k = 1; k < 10; k++) expect(counts[k]).toBeLessThan(counts[k - 1]);
    expect(z.probability(0) / z.probability(1)).toBeCloseTo(Math.pow(2, 1.2), 5);
  });

  test('n = 1 always returns rank 0', () => {
    const z = new Zipf(1, 1.2);
    const r = new Rng(1);
    for (let i = 0; i < 100; i++) expect(z.sample(r)).toBe(0);
  });
});
