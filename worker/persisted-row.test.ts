/**
 * writePersistedRow (the pipeline's commit path, issue 22) writes exactly the bytes of encoding the
 * PersistedRow object the pipeline used to build (and still builds for a re-seed): every kind of
 * per-key state — windows, a sketch, a baseline, a deadman — and lifecycles pending and firing.
 */
import { silentLogger } from '../kernel/logger';
import { decodeStateValue, encodeStateValue, isBinaryStateValue } from '../state/codec';
import { Pipeline } from './pipeline';
import { SCOPE, batches, config, nowOf } from '../test/fixtures/state-layout-v1/scenario';

it('a commit carries each changed row as the encoding of its stored form, byte for byte', () => {
  const p = new Pipeline(config, silentLogger());
  const all = batches();
  let rows = 0;
  const phases = new Set<number>();
  for (let i = 0; i < all.length; i++) {
    p.processBatch(all[i], nowOf(i), SCOPE);
    p.advance(nowOf(i));
    // The objects the store would have been given, taken before takeChanges() clears the batch.
    const snapshot = p.snapshotScope(SCOPE);
    const expected = new Map([...snapshot].map(([id, row]) => [id, encodeStateValue(row)]));
    for (const [id, bytes] of p.takeChanges().get(SCOPE) ?? []) {
      expect(bytes).toBeInstanceOf(Uint8Array);
      expect(isBinaryStateValue(bytes as Uint8Array)).toBe(true);
      expect(Buffer.from(bytes as Uint8Array).equals(expected.get(id)!)).toBe(true);
      const row = decodeStateValue(bytes as Uint8Array) as { entries?: Record<string, { lifecycle?: { phase: number } }> };
      for (const e of Object.values(row.entries ?? {})) if (e.lifecycle) phases.add(e.lifecycle.phase);
      if (!id.startsWith('\u0001')) rows++;
    }
  }
  expect(rows).toBeGreaterThan(50);
  // Stored lifecycles of every phase were compared: inactive after a resolve, pending, firing.
  expect([...phases].sort()).toEqual([0, 1, 2]);
});
