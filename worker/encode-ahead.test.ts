/**
 * A row is written at its key's last event of a batch, while in cache (judgeAdmitted), and
 * takeChanges takes those bytes: they must be the row as it is at the commit. Anything that
 * changes it in between — timers fired by advance() (windows draining, silence judged), another
 * batch before the commit — must have it written again. Checked against the live state encoded
 * by the generic encoder at the commit (snapshotScope, as a re-seed writes it).
 */
import { silentLogger } from '../kernel/logger';
import { encodeStateValue } from '../state/codec';
import { createDecoder } from '../ingest/decode/decoder';
import { Pipeline } from './pipeline';
import type { FlowwatchConfig } from '../config/schema';
import { SCOPE, batches, config, nowOf } from '../test/fixtures/state-layout-v1/scenario';

/** The scenario's stream without timed detectors: an event changes its row without firing timers first. */
const untimed: FlowwatchConfig = {
  ...config,
  streams: {
    funds: { ...config.streams.funds, detectors: config.streams.funds.detectors.filter((d) => d.name === 'large' || d.name === 'odd') },
  },
};

/** Every commit's changed rows whose bytes differ from the live row's at the commit; and how many rows were checked. */
function run(cfg: FlowwatchConfig, split: boolean, advanceBy: number): { stale: string[]; checked: number } {
  const p = new Pipeline(cfg, silentLogger());
  p.keepObservations(false);
  const stale: string[] = [];
  let checked = 0;
  const decoder = createDecoder('funds', config.streams.funds.mapping);
  batches().forEach((records, i) => {
    const now = nowOf(i);
    // Split: the second half's events (judged one by one, as a backtest does: nothing written
    // ahead) change rows the first half wrote ahead.
    p.processBatch(split ? records.slice(0, 3) : records, now, SCOPE);
    if (split)
      for (const r of records.slice(3)) {
        const d = decoder.decode(r.payload);
        if (d.ok) p.processEvents([d.event], now, SCOPE);
      }
    // Later than the batch: timers of the rows just written fire (windows drain, silence is judged).
    p.advance(now + advanceBy);
    const live = p.snapshotScope(SCOPE);
    for (const [id, bytes] of p.takeChanges().get(SCOPE) ?? []) {
      if (bytes === null || id.startsWith('\u0001')) continue;
      checked++;
      const want = encodeStateValue(live.get(id));
      if (!Buffer.from(bytes as Uint8Array).equals(want)) stale.push(`batch ${i}: ${id.split('\u0000').join('/')}`);
    }
  });
  return { stale, checked };
}

it('rows written ahead and changed by timers before the commit are committed as they are at the commit', () => {
  const r = run(config, false, 20 * 60_000);
  expect(r.checked).toBeGreaterThan(40);
  expect(r.stale).toEqual([]);
});

it('rows written ahead and changed by another batch before the commit are committed as they are at the commit', () => {
  const r = run(untimed, true, 0);
  expect(r.checked).toBeGreaterThan(40);
  expect(r.stale).toEqual([]);
});
