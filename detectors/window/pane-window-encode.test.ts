/**
 * PaneWindow.encode writes the bytes of encoding persist()'s form, for every choice of kept
 * statistics, an empty window, a young one and one whose older panes have expired.
 */
import { StateEncoder, encodeStateValue } from '../../state/codec';
import { PaneWindow } from './pane-window';

const T0 = Date.UTC(2026, 11, 1);

it.each([
  { m2: false, minMax: false, last: false },
  { m2: true, minMax: false, last: false },
  { m2: true, minMax: true, last: true },
  { m2: false, minMax: true, last: true },
])('encode() = encoding persist(): %o', (stats) => {
  const w = new PaneWindow(600_000, 60_000, ['a', 'b'], stats);
  const s = w.init();
  const enc = new StateEncoder();
  const check = () => {
    enc.begin();
    w.encode(s, enc);
    enc.end();
    expect(enc.finish()[0].equals(encodeStateValue(w.persist(s)))).toBe(true);
  };
  check(); // empty
  for (let i = 0; i < 40; i++) {
    // Values with fractions (float64 rows) and without (int32 rows); b is absent now and then.
    w.add(s, T0 + i * 45_000, i % 3 === 0 ? { a: i } : { a: i + 0.25, b: -i * 1e6 });
    if (i === 1 || i === 39) check();
  }
  w.expire(s, T0 + 40 * 45_000 + 420_000); // most panes expired
  check();
});
