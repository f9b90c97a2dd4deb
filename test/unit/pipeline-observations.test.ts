/**
 * keepObservations(false) — a worker without series sinks, whose detectors then write verdicts into
 * reused objects — changes nothing anyone reads: the same alerts (evidence included, not changed by
 * later events), the same firing alerts for a store re-seed, the same committed state.
 */
import { parseConfigText, validateConfig } from '../../config/load';
import { silentLogger } from '../../kernel/logger';
import { Pipeline } from '../../worker/pipeline';
import type { Alert, RawRecord } from '../../kernel/types';

const T0 = Date.UTC(2026, 10, 27, 8, 0);
const config = validateConfig(
  parseConfigText(`
streams:
  goods:
    source: { type: file, path: unused.jsonl }
    mapping:
      key: id
      time: { field: ts, format: epoch_ms }
      measurements: [temp]
      attributes: [who]
    lateness: 10m
    detectors:
      - { type: threshold, name: hot, measurement: temp, above: 10 }
      - { type: ewma, name: odd, measurement: temp, alpha: 0.2, k: 2, warmup: 3 }
      - { type: rate, name: busy, window: 1m, above: 5 }
      - { type: deadman, name: quiet, timeout: 2m }
      - { type: distinct, name: many, attribute: who, window: 1m, above: 3 }
`),
);

/** 30 batches of 12 records over 4 keys: temperatures swing over the bound, keys go quiet in turn. */
function batches(): RawRecord[][] {
  const out: RawRecord[][] = [];
  for (let b = 0; b < 30; b++) {
    const batch: RawRecord[] = [];
    for (let i = 0; i < 12; i++) {
      const n = b * 12 + i;
      const key = `c${n % 4}`;
      if (b >= 8 && b < 16 && key === 'c3') continue; // c3 falls silent for over 2 minutes
      const temp = n % 9 < 3 ? 14 + (n % 5) : 4 + (n % 3);
      batch.push({ stream: 'goods', payload: JSON.stringify({ id: key, temp, ts: T0 + n * 2_000, who: `w${n % 7}` }) });
    }
    out.push(batch);
  }
  return out;
}

function run(keep: boolean): { alerts: Alert[]; firing: Alert[]; changes: unknown[] } {
  const p = new Pipeline(config, silentLogger());
  if (!keep) p.keepObservations(false);
  const alerts: Alert[] = [];
  const changes: unknown[] = [];
  batches().forEach((b, i) => {
    const now = T0 + (i + 1) * 24_000;
    alerts.push(...p.processBatch(b, now, 'p0').alerts, ...p.advance(now));
    changes.push([...(p.takeChanges().get('p0') ?? new Map())]);
  });
  return { alerts, firing: p.firingAlerts('p0'), changes };
}

test('a pipeline keeping no observations alerts, re-seeds and commits exactly as one keeping them', () => {
  const kept = run(true);
  const reused = run(false);
  expect(kept.alerts.length).toBeGreaterThan(10);
  expect(new Set(kept.alerts.map((a) => a.detector))).toEqual(new Set(['hot', 'odd', 'busy', 'quiet', 'many']));
  expect(reused.alerts).toEqual(kept.alerts);
  expect(kept.firing.length).toBeGreaterThan(0);
  expect(reused.firing).toEqual(kept.firing);
  expect(reused.changes).toEqual(kept.changes);
});

test('latestObservations without kept observations lists only the firing entries', () => {
  const p = new Pipeline(config, silentLogger());
  p.keepObservations(false);
  const rec = (temp: number, ts: number): RawRecord => ({ stream: 'goods', payload: JSON.stringify({ id: 'c0', temp, ts }) });
  p.processBatch([rec(20, T0), rec(21, T0 + 1000)], T0 + 1000, 'p0');
  expect(p.latestObservations().map((o) => o.detector)).toEqual(['hot']);
  expect(p.latestObservations()[0].obs.evidence.value).toBe(21);
});
