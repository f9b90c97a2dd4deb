import { passLabel, passShapes } from './scenario';

describe('backlog passes', () => {
  it('one pass per --workers entry, then one per --threads entry not measured already', () => {
    expect(passShapes([1, 2], [2])).toEqual([
      { processes: 1, threads: 1 },
      { processes: 2, threads: 1 },
      { processes: 1, threads: 2 },
    ]);
    expect(passShapes([1], [1, 2])).toEqual([
      { processes: 1, threads: 1 },
      { processes: 1, threads: 2 },
    ]);
    expect(passShapes([2], [2, 1])).toEqual([
      { processes: 2, threads: 1 },
      { processes: 1, threads: 2 },
      { processes: 1, threads: 1 },
    ]);
    expect(passShapes([1])).toEqual([{ processes: 1, threads: 1 }]);
  });

  it('labels say processes and threads', () => {
    expect(passLabel({ processes: 1, threads: 1 })).toBe('flowwatch run');
    expect(passLabel({ processes: 2, threads: 1 })).toBe('flowwatch run ×2');
    expect(passLabel({ processes: 1, threads: 2 })).toBe('flowwatch run --threads 2');
  });
});
