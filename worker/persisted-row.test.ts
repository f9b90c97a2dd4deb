/**
 * writePersistedRow (the pipeline's commit path, issue 22) writes exactly the bytes of encoding the
 * PersistedRow object the pipeline used to build (and still builds for a re-seed): every kind of
 * per-key state — windows, a sketch, a baseline, a deadman — and lifecycles pending and firing.
 */
import { silentLogger } from '../kernel/logger';
import { StateEncoder, decodeStateValue, encodeStateValue, isBinaryStateValue } from '../state/codec';
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

it("a row's kept head (attributes) is written again while they hold, and made afresh when they change", () => {
  const p = new Pipeline(config, silentLogger());
  const T0 = Date.UTC(2026, 10, 27, 8, 0);
  // One key, one record per commit: the counterparty holds for four commits, changes, holds again.
  const counterparty = ['M-1', 'M-1', 'M-1', 'M-1', 'M-2', 'M-2', 'M-2', 'M-1', 'M-1'];
  const kept = jest.spyOn(StateEncoder.prototype, 'latin1');
  for (let i = 0; i < counterparty.length; i++) {
    const ts = T0 + i * 60_000;
    const payload = JSON.stringify({ account: 'A', amount: 10 + i, counterparty: counterparty[i], ts });
    p.processBatch([{ stream: 'funds', payload: Buffer.from(payload) }], ts, SCOPE);
    const expected = encodeStateValue(p.snapshotScope(SCOPE).get('funds\u0000A'));
    const bytes = p.takeChanges().get(SCOPE)!.get('funds\u0000A') as Uint8Array;
    expect(Buffer.from(bytes).equals(expected)).toBe(true);
    expect((decodeStateValue(bytes) as { attrs: unknown }).attrs).toEqual({ counterparty: counterparty[i] });
  }
  // Made at the second commit with the same attributes (2, 6, 9), written from then on (3, 4, 7).
  expect(kept).toHaveBeenCalledTimes(3);
  kept.mockRestore();
});
