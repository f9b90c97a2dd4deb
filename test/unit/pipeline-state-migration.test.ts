/**
 * State written by the previous release is read by this one: a worker that restarts on a store
 * holding the first persisted layout (test/fixtures/state-layout-v1/rows.json, captured from that
 * release's pipeline) restores the same detector and lifecycle state, and raises the same alerts
 * afterwards, as a worker that never stopped.
 */
import { silentLogger } from '../../kernel/logger';
import type { Alert } from '../../kernel/types';
import { MemoryStateStore } from '../../state/memory-store';
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
  });
});
