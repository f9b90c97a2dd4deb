import { HeapGrowth, heapGrowthFixed, LARGE_HEAP_BYTES } from './heap-growth';

const MB = 1024 * 1024;

describe('HeapGrowth (the launcher policy on the threads’ heaps)', () => {
  it('tightens once the threads’ heaps together pass the threshold, though none does alone, and relaxes below it', () => {
    const flags: string[] = [];
    const g = new HeapGrowth((f) => flags.push(f), true);
    g.update(1, 120 * MB);
    g.update(2, 60 * MB);
    expect(flags).toEqual([]);
    g.update(2, 100 * MB); // 220 MB together, each under 192
    expect(flags).toEqual(['--heap-growing-percent=20']);
    g.update(1, 130 * MB); // still large: said once
    expect(flags).toEqual(['--heap-growing-percent=20']);
    g.update(1, 40 * MB);
    g.update(2, 40 * MB);
    expect(flags).toEqual(['--heap-growing-percent=20', '--heap-growing-percent=0']);
  });

  it('a thread’s newer report replaces its older one (not added up)', () => {
    const flags: string[] = [];
    const g = new HeapGrowth((f) => flags.push(f), true);
    for (let i = 0; i < 10; i++) g.update(1, LARGE_HEAP_BYTES / 2);
    expect(flags).toEqual([]);
  });

  it('does nothing when FLOWWATCH_HEAP_GROWTH fixes the growth', () => {
    expect(heapGrowthFixed({ FLOWWATCH_HEAP_GROWTH: '35' })).toBe(true);
    expect(heapGrowthFixed({ FLOWWATCH_HEAP_GROWTH: 'lots' })).toBe(false);
    expect(heapGrowthFixed({})).toBe(false);
    const flags: string[] = [];
    const g = new HeapGrowth((f) => flags.push(f), false);
    g.update(1, 2 * LARGE_HEAP_BYTES);
    expect(flags).toEqual([]);
  });
});
