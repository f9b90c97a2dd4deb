/**
 * State written by the previous release is read by this one: a worker that restarts on a store
 * holding the previous persisted layout (one-letter fields: test/fixtures/state-layout-v1/rows.json,
 * captured from that release's pipeline by capture.ts at commit 6e47792) restores the same detector
 * and lifecycle state, and raises the same alerts afterwards, as a worker that never stopped. What
 * it writes is in the current layout only (docs/state.md).
 */
import { silentLogger } from '../../kernel/logger';
import type { Alert } from '../../kernel/types';
import { MemoryStateStore } from '../../state/memory-store';
import { isBinaryStateValue } from '../../state/codec';
import { Pipeline } from '../../worker/pipeline';
import { CUT, SCOPE, batches, config, nowOf } from '../fixtures/state-layout-v1/scenario';
import previousLayout from '../fixtures/state-layout-v1/rows.json';

const rowsOf = (o: Record<string, unknown>) => new Map(Object.entries(structuredClone(o)));
/** A scope's state as the store would hold it (the snapshot holds live objects, which change on). */
const stored = (p: Pipeline) => JSON.parse(JSON.stringify(Object.fromEntries(p.snapshotScope(SCOPE)))) as Record<string, unknown>;

/** Runs batches [from, to) and returns their alert changes (full alerts: ids, times, scores, evidence). */
function run(p: Pipeline, from: number, to: number): Alert[] {
  const all = batches();
  const alerts: Alert[] = [];
  for (let i = from; i < to; i++) {
    alerts.push(...p.processBatch(all[i], nowOf(i), SCOPE).alerts, ...p.advance(nowOf(i)));
    p.takeChanges();
  }
  return alerts;
}

/** Field names used anywhere in a stored value, at any depth. */
function fieldNames(v: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(v)) for (const x of v) fieldNames(x, out);
  else if (typeof v === 'object' && v !== null)
    for (const [k, x] of Object.entries(v)) {
      out.add(k);
      fieldNames(x, out);
    }
  return out;
}

/** The field names of a row's own layout: the row's, and its entries' (not the rule names, not the detectors' states). */
function rowLayout(row: unknown): string[] {
  const r = row as Record<string, Record<string, Record<string, unknown>>>;
  const names = new Set(Object.keys(r));
  for (const entries of Object.values(r)) {
    if (typeof entries !== 'object' || entries === null) continue;
    for (const entry of Object.values(entries))
      if (typeof entry === 'object' && entry !== null) for (const k of Object.keys(entry)) names.add(k);
  }
  return [...names].sort();
}

describe('state in the previous layout', () => {
  const end = batches().length;
  const straight = new Pipeline(config, silentLogger());
  run(straight, 0, CUT + 1);
  const atCut = stored(straight);
  const after = run(straight, CUT + 1, end);

  it('the run after the cut resolves alerts that fired before it and fires on silence', () => {
    const kinds = new Set(after.map((a) => `${a.status}:${a.detector}`));
    for (const k of ['resolved:large', 'firing:silent']) expect(kinds.has(k)).toBe(true);
  });

  it('the fixture is in the previous layout', () => {
    const names = fieldNames(previousLayout);
    for (const n of ['e', 'd', 'l']) expect(names.has(n)).toBe(true);
    for (const n of ['entries', 'detector', 'lifecycle']) expect(names.has(n)).toBe(false);
  });

  it('restores the same detector and lifecycle state as an uninterrupted run holds', () => {
    const p = new Pipeline(config, silentLogger());
    expect(p.restore(rowsOf(previousLayout), SCOPE, nowOf(CUT))).toBe(18);
    expect(stored(p)).toEqual(atCut);
  });

  it('raises the same alerts after the restore as an uninterrupted run', () => {
    const p = new Pipeline(config, silentLogger());
    p.restore(rowsOf(previousLayout), SCOPE, nowOf(CUT));
    expect(run(p, CUT + 1, end)).toEqual(after);
  });

  it('through a store: restored from the previous layout, committed and restored again', async () => {
    const store = new MemoryStateStore();
    await store.commit(SCOPE, CUT, rowsOf(previousLayout));
    let p = new Pipeline(config, silentLogger());
    p.restore(await store.loadAll(SCOPE), SCOPE, nowOf(CUT));
    const all = batches();
    const got: Alert[] = [];
    for (let i = CUT + 1; i < end; i++) {
      got.push(...p.processBatch(all[i], nowOf(i), SCOPE).alerts, ...p.advance(nowOf(i)));
      expect(await p.commit(store, SCOPE, i)).toBe(true);
      if (i === CUT + 3) {
        p = new Pipeline(config, silentLogger());
        p.restore(await store.loadAll(SCOPE), SCOPE, nowOf(i));
      }
    }
    expect(got).toEqual(after);
    // Every row was committed again after the cut: all in the current layout now.
    const rows = await store.loadAll(SCOPE);
    expect(rows.size).toBe(Object.keys(previousLayout).length);
    for (const [id, row] of rows) {
      if (id.startsWith('\u0001')) continue; // a watermark: { maxTs }
      expect(rowLayout(row)).toEqual(['attrs', 'detector', 'entries', 'lifecycle', 'touched']);
    }
  });

  it('writes the current layout only', () => {
    const p = new Pipeline(config, silentLogger());
    p.restore(rowsOf(previousLayout), SCOPE, nowOf(CUT));
    const written = stored(p);
    const row = written['funds\u0000A'] as {
      attrs: unknown;
      touched: number;
      entries: Record<string, { detector: unknown; lifecycle?: { phase: number } }>;
    };
    expect(Object.keys(row).sort()).toEqual(['attrs', 'entries', 'touched']);
    expect(Object.keys(row.entries.large).sort()).toEqual(['detector', 'lifecycle']);
    expect(row.entries.large.lifecycle!.phase).toBe(2);
    expect(Object.keys(row.entries.burst)).toEqual(['detector']); // initial lifecycle: left out
    const old = (previousLayout as unknown as Record<string, { e: Record<string, { d: unknown; l?: unknown }> }>)['funds\u0000A'];
    expect(row.entries.large.detector).toEqual(old.e.large.d);
    expect(row.entries.large.lifecycle).toEqual(old.e.large.l);
  });

  it('reads rows of both layouts side by side (a store part-way through)', () => {
    const mixed = rowsOf(previousLayout);
    const straight = new Pipeline(config, silentLogger());
    straight.restore(rowsOf(previousLayout), SCOPE, nowOf(CUT));
    const current = stored(straight);
    mixed.set('funds\u0000B', current['funds\u0000B']);
    const p = new Pipeline(config, silentLogger());
    expect(p.restore(mixed, SCOPE, nowOf(CUT))).toBe(18);
    expect(stored(p)).toEqual(atCut);
    expect(run(p, CUT + 1, end)).toEqual(after);
  });

  it('through a store holding JSON text (releases before issue 22): read as it is, rewritten in the binary form', async () => {
    // Rows as the JSON-era stores held them: text, in both row layouts side by side.
    const straight = new Pipeline(config, silentLogger());
    straight.restore(rowsOf(previousLayout), SCOPE, nowOf(CUT));
    const current = stored(straight);
    const store = new MemoryStateStore();
    for (const [id, row] of Object.entries(previousLayout)) {
      const text = JSON.stringify(id === 'funds\u0000B' ? current[id] : row);
      store.putRaw(SCOPE, id, text);
    }
    expect([...Object.keys(previousLayout)].every((id) => !isBinaryStateValue(store.raw(SCOPE, id)!))).toBe(true);
    const p = new Pipeline(config, silentLogger());
    expect(p.restore(await store.loadAll(SCOPE), SCOPE, nowOf(CUT))).toBe(18);
    expect(stored(p)).toEqual(atCut);
    const all = batches();
    const got: Alert[] = [];
    for (let i = CUT + 1; i < end; i++) {
      got.push(...p.processBatch(all[i], nowOf(i), SCOPE).alerts, ...p.advance(nowOf(i)));
      expect(await p.commit(store, SCOPE, i)).toBe(true);
    }
    expect(got).toEqual(after);
    // Every row was committed again after the cut: binary now, in the current layout.
    for (const id of Object.keys(previousLayout)) expect(isBinaryStateValue(store.raw(SCOPE, id)!)).toBe(true);
    for (const [id, row] of await store.loadAll(SCOPE))
      if (!id.startsWith('\u0001')) expect(rowLayout(row)).toEqual(['attrs', 'detector', 'entries', 'lifecycle', 'touched']);
  });
});
