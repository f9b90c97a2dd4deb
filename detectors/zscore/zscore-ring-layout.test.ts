/**
 * zscore stores its state as the object layout held it ({win: {maxTs, pane, count, n, …}, firing}).
 * Since its window lives in a slab block (issue 22) that form is persist()'s, read by revive():
 * a state written by the object-layout build (main `165a274`, literals below) gives the same next
 * verdict and the same stored bytes as that build gave.
 */
import { StateEncoder, encodeStateValue } from '../../state/codec';
import { ZscoreDetector } from './zscore';

const T0 = Date.UTC(2026, 11, 1);
const params = { measurement: 'x', window: 600_000, slide: 120_000, k: 3, min_samples: 3, direction: 'both' as const };
/** After 10, 12, 11, 13, 40 at T0 + i × 150 s (the 40 fired). */
const STORED = {
  win: {
    maxTs: 1796083800000,
    pane: [14967365, 14967361, 14967362, 14967363, -1e21],
    count: [1, 1, 1, 1, 0],
    n: [1, 1, 1, 1, 0],
    sum: [40, 12, 11, 13, 0],
    m2: [0, 0, 0, 0, 0],
    min: [],
    max: [],
    last: [],
    lastTs: [],
  },
  firing: true,
};
/** The object-layout build's bytes of the state after one more value, 12 at T0 + 750 s. */
const NEXT_BYTES =
  '9QEIAgN3aW4ICgVtYXhUcwUAABsi7yJ6QgRwYW5lCgUAAACgSIxsQQAAAMBIjGxBAAAAQEiMbEEAAABgSIxsQVDv4tbkGkvEBWNvdW50CQUBAAAAAQAAAAEAAAABAAAAAAAAAAFuCQUBAAAAAQAAAAEAAAABAAAAAAAAAANzdW0JBSgAAAAMAAAACwAAAA0AAAAAAAAAAm0yCQUAAAAAAAAAAAAAAAAAAAAAAAAAAANtaW4HAANtYXgHAARsYXN0BwAGbGFzdFRzBwAGZmlyaW5nAQ==';

const bytes = (d: ZscoreDetector, s: ReturnType<ZscoreDetector['init']>) => {
  const enc = new StateEncoder();
  enc.begin();
  d.encode(s, enc);
  enc.end();
  return Buffer.from(enc.finish()[0]);
};

it('revives the object layout, stores it back byte for byte, and judges on as the object-layout build did', () => {
  const d = new ZscoreDetector(params);
  const s = d.revive(STORED)!;
  expect(bytes(d, s).equals(encodeStateValue(STORED))).toBe(true);
  const o = d.observe(s, { stream: 's', key: 'k', ts: T0 + 5 * 150_000, values: { x: 12 }, attrs: {} });
  // The object-layout build's verdict: baseline (40 + 11 + 13) / 3, not firing any more.
  expect(o).toMatchObject({
    score: 0.1611321908650931,
    firing: false,
    evidence: { baseline: 21.333333333333332, deviation: -0.5762488050337612 },
  });
  expect(bytes(d, s).toString('base64')).toBe(NEXT_BYTES);
});

it('gives an empty window for a ring of another shape (a changed window or slide)', () => {
  const d = new ZscoreDetector(params);
  const s = d.revive({ ...STORED, win: { ...STORED.win, pane: [1, 2] } })!;
  expect((d.persist(s) as { win: { count: number[] } }).win.count).toEqual([0, 0, 0, 0, 0]);
});
