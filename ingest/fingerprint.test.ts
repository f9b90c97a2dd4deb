import { Fingerprinter } from './fingerprint';

const fp = new Fingerprinter();
const of = (build: (f: Fingerprinter) => Fingerprinter): string => {
  const f = build(fp.begin(1)).end();
  return `${f.hi}:${f.lo}`;
};

describe('Fingerprinter', () => {
  it('is deterministic and yields unsigned halves', () => {
    const a = of((f) => f.string('ACC-1').number(1764230400000).number(9500.5));
    expect(of((f) => f.string('ACC-1').number(1764230400000).number(9500.5))).toBe(a);
    const [hi, lo] = a.split(':').map(Number);
    expect(hi).toBeGreaterThanOrEqual(0);
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThan(2 ** 32);
  });

  it('separates domains, field boundaries and value order', () => {
    const seen = new Set([
      of((f) => f.string('ab')),
      `${fp.begin(2).string('ab').end().hi}:${fp.lo}`,
      of((f) => f.string('a').string('b')),
      of((f) => f.string('abc')),
      of((f) => f.string('')),
      of((f) => f),
      of((f) => f.number(1).number(2)),
      of((f) => f.number(2).number(1)),
      of((f) => f.number(1)),
      of((f) => f.number(1).number(2).number(0)),
    ]);
    expect(seen.size).toBe(10);
  });

  it('treats −0 as 0 and tells close numbers apart', () => {
    expect(of((f) => f.number(-0))).toBe(of((f) => f.number(0)));
    expect(of((f) => f.number(0.1 + 0.2))).not.toBe(of((f) => f.number(0.3)));
  });

  it('spreads similar inputs over both halves without collisions', () => {
    const his = new Set<number>();
    const los = new Set<number>();
    const n = 50_000;
    for (let i = 0; i < n; i++) {
      fp.begin(1).string(`gate-${i}`).number(1764230400000).end();
      his.add(fp.hi);
      los.add(fp.lo);
    }
    // 50k random 32-bit values collide in ~0.3 pairs on average: allow a few.
    expect(his.size).toBeGreaterThan(n - 5);
    expect(los.size).toBeGreaterThan(n - 5);
  });
});
