import { ScratchList } from './scratch-list';

it('keeps items in order, empties on clear() and is reused', () => {
  const l = new ScratchList<{ v: number }>();
  for (let round = 0; round < 3; round++) {
    expect(l.length).toBe(0);
    for (let i = 0; i < 5 + round; i++) l.push({ v: i * 10 + round });
    expect(l.length).toBe(5 + round);
    expect(Array.from({ length: l.length }, (_, i) => l.at(i).v)).toEqual(Array.from({ length: 5 + round }, (_, i) => i * 10 + round));
    l.clear();
  }
});

it('clear() lets go of the items (nothing of a batch is kept alive past it)', () => {
  const l = new ScratchList<object>();
  l.push({});
  l.push({});
  l.clear();
  expect((l as unknown as { items: unknown[] }).items.every((x) => x === undefined)).toBe(true);
});
