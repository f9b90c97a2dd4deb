/**
 * A stream's kept `entries` bytes (KeptEntries, issue 22) are written only for the combination of
 * detector forms and lifecycles they were made from: a row whose detector or lifecycle changed
 * since is written afresh — byte for byte the encoding of its stored form, as without them.
 */
import { parseConfigText, validateConfig } from '../config/load';
import { silentLogger } from '../kernel/logger';
import { createDetector, detectorSchema } from '../detectors/registry';
import { StateEncoder, encodeStateValue } from '../state/codec';
import { KeptEntries, entryBytes, writePersistedRow, type LiveRow, type RowRule } from './persisted-row';
import { Pipeline } from './pipeline';

const SCOPE = 'p0';
const T0 = Date.UTC(2026, 11, 8, 0, 0);

const rule = (name: string, c: Record<string, unknown>): RowRule => {
  const detector = createDetector(detectorSchema.parse(c), { stream: 's', name });
  return { entryBytes: entryBytes(name, detector), detector };
};

const written = (row: LiveRow, rules: RowRule[], kept: KeptEntries | null): Buffer => {
  const enc = new StateEncoder();
  writePersistedRow(enc, row, rules, kept);
  return enc.finish()[0];
};

/** The stored form writePersistedRow must match (lifecycles at rest left out). */
const stored = (row: LiveRow, names: string[]): Buffer => {
  const entries: Record<string, unknown> = {};
  row.entries.forEach((e, j) => {
    if (e === undefined) return;
    const at = e.phase === 0 && e.since === 0 && e.peak === 0;
    entries[names[j]] = at ? { detector: e.state } : { detector: e.state, lifecycle: { phase: e.phase, since: e.since, peak: e.peak } };
  });
  return encodeStateValue({ attrs: row.attrs, touched: row.touched, entries });
};

it('kept bytes are not written once a detector changed since they were kept (the staleness guard)', () => {
  const names = ['hot', 'open'];
  const rules = [
    rule('hot', { type: 'threshold', measurement: 't', above: 3 }),
    rule('open', { type: 'threshold', measurement: 'd', above: 0.5 }),
  ];
  const kept = KeptEntries.of(rules)!;
  expect(kept).not.toBeNull();
  const hot = { state: { side: 0 }, phase: 0 as 0 | 1 | 2, since: 0, peak: 0 };
  const open = { state: { side: 0 }, phase: 0 as 0 | 1 | 2, since: 0, peak: 0 };
  const row: LiveRow = { attrs: { truck: 'T-1' }, touched: T0, entries: [hot, undefined], headOf: null, head: null };
  const check = () => expect(written(row, rules, kept).equals(stored(row, names))).toBe(true);
  check(); // one entry: kept
  check(); // written from the kept bytes
  row.entries = [hot, open];
  check(); // a second entry: another combination
  hot.state.side = 1; // the detector changed, its lifecycle still at rest
  check();
  hot.state.side = -1;
  check();
  hot.state.side = 0;
  row.touched = T0 + 1;
  check(); // back to the first form: its kept bytes again
  open.phase = 1; // a lifecycle not at rest: never kept
  open.since = T0;
  open.peak = 0.5;
  check();
  (hot.state as { side: unknown }).side = 'up'; // restored as it was: no form, and no encodeLed (written generically)
  check();
  // Kept: the two entries at rest, one entry at rest, side 1 and side −1 with the other at rest.
  expect(kept.bytes.filter((b) => b !== undefined)).toHaveLength(4);
});

it("a pipeline's commits carry each threshold row as its stored form while its detectors fire and clear", () => {
  const config = validateConfig(
    parseConfigText(`
streams:
  goods:
    source: { type: file, path: unused.jsonl }
    mapping:
      key: id
      time: { field: ts, format: epoch_ms }
      measurements: [t, d]
      attributes: [truck]
    lateness: 10m
    detectors:
      - { type: threshold, name: hot, measurement: t, above: 3, clear_above: 2, for: 1m }
      - { type: threshold, name: open, measurement: d, above: 0.5 }
`),
  );
  const p = new Pipeline(config, silentLogger());
  let fromKept = 0;
  const raw = jest.spyOn(StateEncoder.prototype, 'raw');
  for (let i = 0; i < 40; i++) {
    // Two keys: A at rest, then hot from 10 to 19 (pending, firing, clearing); B's door open at 25.
    const recs = ['A', 'B'].map((id) => {
      const t = id === 'A' && i >= 10 && i < 20 ? 5 : 1;
      const d = id === 'B' && i === 25 ? 1 : 0;
      return { stream: 'goods', payload: JSON.stringify({ id, ts: T0 + i * 30_000, t, d, truck: 'T-1' }) };
    });
    const now = T0 + i * 30_000;
    raw.mockClear(); // rows are written during processBatch (at their key's last event) or by takeChanges
    p.processBatch(recs, now, SCOPE);
    p.advance(now);
    const expected = p.snapshotScope(SCOPE);
    for (const [id, bytes] of p.takeChanges().get(SCOPE) ?? []) {
      if (id.startsWith('\u0001')) continue; // watermarks
      expect(Buffer.from(bytes as Uint8Array).equals(encodeStateValue(expected.get(id)))).toBe(true);
    }
    if (raw.mock.calls.some(([b]) => b.length > 40)) fromKept++; // an entries member of both rules in one copy
  }
  raw.mockRestore();
  expect(fromKept).toBeGreaterThan(10);
});
