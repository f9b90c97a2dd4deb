import { Health } from './health';

describe('Health', () => {
  it('is ready until a part reports a problem, and again once every part is ok', () => {
    let t = 1000;
    const h = new Health(() => t);
    const seen: boolean[] = [];
    h.onChange((x) => seen.push(x.ready));
    expect(h.ready).toBe(true);
    h.fail('dead-letter', 'ENOSPC writing dead.jsonl');
    t = 2000;
    h.fail('dead-letter', 'EROFS writing dead.jsonl');
    h.fail('state-store', 'store epoch changed');
    expect(h.ready).toBe(false);
    expect(h.list()).toEqual([
      { component: 'dead-letter', reason: 'EROFS writing dead.jsonl', since: 1000 },
      { component: 'state-store', reason: 'store epoch changed', since: 2000 },
    ]);
    h.ok('dead-letter');
    h.ok('dead-letter');
    h.ok('state-store');
    expect(h.ready).toBe(true);
    expect(seen).toEqual([false, false, false, false, true]);
  });
});
