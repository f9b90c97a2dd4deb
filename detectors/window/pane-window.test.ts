import { PaneWindow, meanOf, stdOf } from './pane-window';
import { NO_PANE, defaultSlide, slideProblem } from './pane-ring';

describe('pane geometry', () => {
  it('defaults the slide to window/10, or the nearest pane count that divides the window', () => {
    expect(defaultSlide(300_000, 10)).toBe(30_000); // 5m / 10 = 30s
    expect(defaultSlide(3_600_000, 6)).toBe(600_000); // 1h / 6 = 10m
    expect(defaultSlide(7, 10)).toBe(1); // 7ms: 10, 9, 8 do not divide, 7 does
    expect(defaultSlide(11, 10)).toBe(11); // prime: tumbling
  });

  it('explains unusable slides', () => {
    expect(slideProblem(300_000, 60_000)).toBeNull();
    expect(slideProblem(300_000, 70_000)).toMatch(/must divide window \(5m\) evenly/);
    expect(slideProblem(300_000, 600_000)).toMatch(/must be ≤ window \(5m\)/);
    expect(slideProblem(3_600_000, 1_000)).toMatch(/3600 panes; at most 120/);
  });
});

describe('PaneWindow', () => {
  // window 10s, slide 2s → 5 panes; pane p covers [2000p, 2000p+2000).
  const w = new PaneWindow(10_000, 2_000, ['x', 'y']);
  const X = 0;
  const Y = 1;

  it('aggregates count, sum, M2, min, max, last over live panes', () => {
    const s = w.init();
    w.add(s, 1_000, { x: 2 }); // pane 0
    w.add(s, 1_500, { x: 4 }); // pane 0
    w.add(s, 3_000, { x: 6, y: 1 }); // pane 1
    w.add(s, 9_000, { x: 8 }); // pane 4
    const a = w.aggregate(s, 9_000, w.newAggregate());
    // window at 9000: first live pane = 4 − 5 + 1 = 0 → panes 0..4, span [0, 9000]
    expect(a.count).toBe(4);
    expect(a.n[X]).toBe(4);
    expect(a.sum[X]).toBe(20); // 2+4+6+8
    expect(meanOf(a, X)).toBe(5);
    // deviations from 5: −3, −1, 1, 3 → M2 = 9+1+1+9 = 20; sample var = 20/3
    expect(a.m2[X]).toBeCloseTo(20, 12);
    expect(stdOf(a, X)).toBeCloseTo(Math.sqrt(20 / 3), 12);
    expect([a.min[X], a.max[X], a.last[X]]).toEqual([2, 8, 8]);
    expect([a.n[Y], a.sum[Y], stdOf(a, Y)]).toEqual([1, 1, 0]); // one sample: std 0 (as mathjs std)
    expect([a.start, a.end]).toEqual([0, 9_000]);
  });

  it('rolls a pane over: the slot of pane 0 is reused by pane 5 and its events leave the window', () => {
    const s = w.init();
    w.add(s, 1_000, { x: 2 });
    w.add(s, 1_500, { x: 4 });
    w.add(s, 3_000, { x: 6, y: 1 });
    w.add(s, 9_000, { x: 8 });
    w.add(s, 10_500, { x: 10 }); // pane 5 → slot 0, which held pane 0
    const a = w.aggregate(s, 10_500, w.newAggregate());
    // first live pane = 5 − 4 = 1 → events 6, 8, 10: sum 24, mean 8, M2 = 4+0+4 = 8
    expect(a.count).toBe(3);
    expect(a.sum[X]).toBe(24);
    expect(a.m2[X]).toBeCloseTo(8, 12);
    expect([a.min[X], a.max[X], a.last[X]]).toEqual([6, 10, 10]);
    expect(a.n[Y]).toBe(1);
    expect([a.start, a.end]).toEqual([2_000, 10_500]);
  });

  it('forgets everything after a gap longer than the window', () => {
    const s = w.init();
    w.add(s, 1_000, { x: 2, y: 5 });
    w.add(s, 9_000, { x: 8 });
    w.add(s, 30_000, { x: 1 }); // pane 15; window = panes 11..15
    const a = w.aggregate(s, 30_000, w.newAggregate());
    expect([a.count, a.n[X], a.sum[X], a.m2[X], a.min[X], a.max[X], a.last[X]]).toEqual([1, 1, 1, 0, 1, 1, 1]);
    expect(a.n[Y]).toBe(0);
    expect(a.sum[Y]).toBe(0);
    expect(meanOf(a, Y)).toBeNaN();
    expect(stdOf(a, Y)).toBeNaN();
    expect(a.min[Y]).toBeNaN();
    expect(a.start).toBe(22_000); // 11 × 2000
  });

  it('drops events whose pane already left the window, keeps late events still inside it', () => {
    const s = w.init();
    w.add(s, 30_000, { x: 1 }); // pane 15, window panes 11..15
    expect(w.add(s, 21_999, { x: 100 })).toBe(false); // pane 10
    expect(w.add(s, 22_000, { x: 3 })).toBe(true); // pane 11
    const a = w.aggregate(s, w.readTime(s, 0), w.newAggregate()); // readTime never goes behind maxTs
    expect([a.count, a.sum[X], a.last[X]]).toEqual([2, 4, 1]); // last is by event time: 30000 beats 22000
  });

  it('keeps "last" by event time inside a pane', () => {
    const s = w.init();
    w.add(s, 31_000, { x: 5 });
    w.add(s, 30_500, { x: 7 }); // same pane, earlier time, arrives later
    expect(w.aggregate(s, 31_000, w.newAggregate()).last[X]).toBe(5);
  });

  it('drains as time passes and expire() empties stale slots', () => {
    const s = w.init();
    w.add(s, 30_000, { x: 1 }); // pane 15
    expect(w.aggregate(s, 39_999, w.newAggregate()).count).toBe(1); // pane 19: window 15..19
    expect(w.aggregate(s, 40_000, w.newAggregate()).count).toBe(0); // pane 20: window 16..20
    expect(w.isEmpty(s, 40_000)).toBe(true);
    w.expire(s, 40_000);
    const ring = w.toRing(s);
    expect(ring.pane.every((p) => p === NO_PANE)).toBe(true);
    expect(ring.count.every((c) => c === 0)).toBe(true);
  });

  it('tumbles when slide equals window', () => {
    const t = new PaneWindow(5_000, 5_000, ['x']);
    const s = t.init();
    t.add(s, 1_000, { x: 1 });
    t.add(s, 4_000, { x: 2 });
    expect(t.aggregate(s, 4_000, t.newAggregate()).sum[0]).toBe(3);
    t.add(s, 6_000, { x: 3 });
    const a = t.aggregate(s, 6_000, t.newAggregate());
    expect([a.count, a.sum[0], a.start]).toEqual([1, 3, 5_000]);
  });

  it('keeps variance exact at a large level (Welford panes + Chan merge)', () => {
    const s = w.init();
    // 1e9+1 … 1e9+4 in four different panes: sample var of 1,2,3,4 = (2.25+0.25+0.25+2.25)/3 = 5/3.
    [1, 2, 3, 4].forEach((d, i) => w.add(s, i * 2_000, { x: 1e9 + d }));
    const a = w.aggregate(s, 6_000, w.newAggregate());
    expect(stdOf(a, X) ** 2).toBeCloseTo(5 / 3, 6);
    // The textbook formula loses it: Σx² ≈ 4e18 has a spacing of 512 between doubles.
    const naive = ([1, 2, 3, 4].reduce((q, d) => q + (1e9 + d) ** 2, 0) - a.sum[X] ** 2 / 4) / 3;
    expect(Math.abs(naive - 5 / 3)).toBeGreaterThan(1);
  });

  it('keeps each key in a block of its own: keys do not see each other, a released block starts empty for the next key', () => {
    const win = new PaneWindow(10_000, 2_000, ['x', 'y']);
    const a = win.init();
    const b = win.init();
    win.add(a, 1_000, { x: 2 });
    win.add(b, 1_000, { x: 40, y: 1 });
    expect(win.aggregate(a, 1_000, win.newAggregate()).sum[X]).toBe(2);
    expect(win.aggregate(b, 1_000, win.newAggregate()).sum[X]).toBe(40);
    expect(win.liveStates).toBe(2);
    win.release(a);
    expect(win.liveStates).toBe(1);
    const c = win.init(); // a's block again
    expect(c).toBe(a);
    expect(win.maxTs(c)).toBe(win.maxTs(win.init()));
    expect(win.aggregate(c, 1_000, win.newAggregate()).count).toBe(0);
    expect(win.persist(c).s).toEqual([]);
  });

  it('grows its slab past the first blocks without losing a key', () => {
    const win = new PaneWindow(10_000, 2_000, ['x']);
    const keys = Array.from({ length: 1_000 }, (_, i) => {
      const s = win.init();
      win.add(s, 1_000, { x: i });
      return s;
    });
    keys.forEach((s, i) => expect(win.aggregate(s, 1_000, win.newAggregate()).sum[0]).toBe(i));
  });

  it('reads and writes the object layout of the ring (a zscore state stored as it is)', () => {
    const s = w.init();
    w.add(s, 1_000, { x: 2 });
    w.add(s, 3_000, { x: 5, y: 1 });
    const ring = JSON.parse(JSON.stringify(w.toRing(s)));
    expect(ring.pane).toEqual([0, 1, NO_PANE, NO_PANE, NO_PANE]);
    expect(ring.n).toEqual([1, 0, 1, 1, 0, 0, 0, 0, 0, 0]); // slot-major: [x, y] per slot
    const back = w.fromRing(ring);
    expect(w.aggregate(back, 3_000, w.newAggregate())).toEqual(w.aggregate(s, 3_000, w.newAggregate()));
    // A ring of another pane count is not this window's: an empty window.
    expect(w.aggregate(w.fromRing({ ...ring, pane: [0] }), 3_000, w.newAggregate()).count).toBe(0);
  });

  it('stores only live panes, and revives to a window that aggregates and grows the same', () => {
    const s = w.init();
    w.add(s, 1_000, { x: 2 }); // pane 0: out of the window once time reaches pane 5
    w.add(s, 9_000, { x: 4, y: 7 }); // pane 4
    w.add(s, 11_000, { x: 6 }); // pane 5 (slot 0)
    const stored = JSON.parse(JSON.stringify(w.persist(s)));
    expect(stored.s.map((row: number[]) => row[0])).toEqual([5, 4]); // ring order (slots 0 and 4); pane 0 has left the window
    const back = w.revive(stored);
    for (const x of [s, back]) w.add(x, 12_500, { x: 1, y: 1 });
    const at = 13_000;
    expect(w.aggregate(back, at, w.newAggregate())).toEqual(w.aggregate(s, at, w.newAggregate()));
  });

  it('revives an empty window from a form that does not fit (another slide, another layout, garbage)', () => {
    const s = w.init();
    w.add(s, 1_000, { x: 2 });
    const other = new PaneWindow(10_000, 1_000, ['x', 'y']);
    for (const bad of [other.persist(other.init()), { ...w.persist(s), s: [[0, 1]] }, null, 'x', { t: 'no' }]) {
      expect(w.aggregate(w.revive(bad), 1_000, w.newAggregate()).count).toBe(0);
    }
    expect(w.aggregate(w.revive(w.persist(s)), 1_000, w.newAggregate()).count).toBe(1);
  });
});
