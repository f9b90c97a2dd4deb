import { FingerprintSet } from './fingerprint-set';

/** Deterministic 32-bit values (xorshift), so collisions of `lo` in the table are exercised too. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

describe('FingerprintSet', () => {
  it('finds duplicates and tells new fingerprints apart by both halves', () => {
    const s = new FingerprintSet(10);
    expect(s.add(1, 2)).toBe(true);
    expect(s.add(1, 2)).toBe(false);
    expect(s.add(2, 2)).toBe(true); // same lo, different hi
    expect(s.add(1, 3)).toBe(true);
    expect(s.has(2, 2)).toBe(true);
    expect(s.has(3, 3)).toBe(false);
    expect(s.size).toBe(3);
  });

  it('treats signed and unsigned forms of a half as the same value', () => {
    const s = new FingerprintSet(4);
    expect(s.add(-1, -2)).toBe(true);
    expect(s.add(0xffffffff, 0xfffffffe)).toBe(false);
  });

  it('evicts the oldest first, and a repeat does not make an entry younger', () => {
    const s = new FingerprintSet(3);
    s.add(0, 1);
    s.add(0, 2);
    s.add(0, 3);
    expect(s.add(0, 1)).toBe(false); // still there, not refreshed
    s.add(0, 4); // evicts 1
    expect(s.has(0, 1)).toBe(false);
    expect([2, 3, 4].map((lo) => s.has(0, lo))).toEqual([true, true, true]);
    s.add(0, 5); // evicts 2
    expect(s.has(0, 2)).toBe(false);
    expect(s.has(0, 3)).toBe(true);
    expect(s.size).toBe(3);
  });

  it('never holds more than its capacity, also across growth of its arrays', () => {
    const s = new FingerprintSet(5000);
    for (let i = 0; i < 12_000; i++) s.add(i, i * 7);
    expect(s.size).toBe(5000);
    expect(s.has(6999, 6999 * 7)).toBe(false);
    expect(s.has(7000, 7000 * 7)).toBe(true);
    expect(s.has(11_999, 11_999 * 7)).toBe(true);
  });

  it('behaves exactly like a Set with FIFO eviction under heavy churn and colliding buckets', () => {
    for (const capacity of [1, 2, 7, 100, 1500]) {
      const s = new FingerprintSet(capacity);
      const ref = new Set<string>();
      const order: string[] = [];
      const next = rng(capacity);
      for (let i = 0; i < 6_000; i++) {
        // Few distinct values (many repeats), lo often sharing low bits (long probe runs).
        const hi = next() % 3;
        const lo = (next() % 64) * 1024 + 1 + (next() % 4);
        const k = `${hi}:${lo}`;
        const isNew = !ref.has(k);
        expect(s.add(hi, lo)).toBe(isNew);
        if (isNew) {
          ref.add(k);
          order.push(k);
          if (order.length > capacity) ref.delete(order.shift()!);
        }
      }
      expect(s.size).toBe(ref.size);
      for (let hi = 0; hi < 3; hi++)
        for (let q = 0; q < 64; q++) for (let r = 1; r <= 4; r++) expect(s.has(hi, q * 1024 + r)).toBe(ref.has(`${hi}:${q * 1024 + r}`));
    }
  });

  it('rejects a capacity that is not a positive integer', () => {
    expect(() => new FingerprintSet(0)).toThrow(RangeError);
    expect(() => new FingerprintSet(1.5)).toThrow(RangeError);
  });
});
