import { FUSION_ALLOWANCE, fusedSurprise, zOfSurprise } from './fusion';
import { gaussSurprise } from './likelihood';

describe('fused evidence', () => {
  it('inverts the Gaussian upper tail from the surprise, far into the tail', () => {
    // Known quantiles: p = 0.025, 1e-10 (6.3613409), 1e-300 (37.047096)
    expect(zOfSurprise(-Math.log10(0.025))).toBeCloseTo(1.959964, 5);
    expect(zOfSurprise(10)).toBeCloseTo(6.3613409, 4);
    expect(zOfSurprise(300)).toBeCloseTo(37.0471, 3);
    // gaussSurprise's own asymptotic tail (z ≥ 5) is within a few per cent in p: 0.02 decades.
    for (const L of [0.5, 1, 1.6, 1.7, 2, 3, 5, 10, 50, 300]) expect(Math.abs(gaussSurprise(zOfSurprise(L)) - L)).toBeLessThan(0.02);
    expect(zOfSurprise(Math.log10(2))).toBe(0); // p = ½: no evidence
    expect(zOfSurprise(0)).toBe(0);
  });

  it('combines two moderate surprises by Stouffer, less its allowance; one alone adds nothing', () => {
    // 2 decades each: z = 2.326, (z₁ + z₂)/√2 = 3.290, 3.30 decades, less 0.7
    expect(fusedSurprise(2, 2)).toBeCloseTo(gaussSurprise((2 * zOfSurprise(2)) / Math.SQRT2) - FUSION_ALLOWANCE, 12);
    expect(fusedSurprise(2, 2)).toBeGreaterThan(2.55);
    expect(fusedSurprise(2, 2)).toBeLessThan(2.65);
    expect(fusedSurprise(3, 0)).toBe(0);
    expect(fusedSurprise(0, 3)).toBe(0);
    expect(fusedSurprise(3, 0.3)).toBe(0); // below −log10 ½: no evidence
    expect(fusedSurprise(0.5, 0.5)).toBe(0); // less the allowance, nothing left
    // Symmetric, and growing with either piece.
    expect(fusedSurprise(1.5, 2.5)).toBeCloseTo(fusedSurprise(2.5, 1.5), 12);
    expect(fusedSurprise(2, 2.5)).toBeGreaterThan(fusedSurprise(2, 2));
  });
});
