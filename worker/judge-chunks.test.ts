/**
 * processBatch judges a long batch in chunks of JUDGE_CHUNK admitted events (so a backlog fetch's
 * decoded events die young): a batch several chunks long, with each key's events on both sides of
 * the chunk boundaries, gives the verdicts, alerts and stored rows that judging its records one at a
 * time gives.
 */
import { silentLogger } from '../kernel/logger';
import { loadDefaultConfig } from '../config/load';
import { buildPayloads, makeRecords } from '../bench/inproc';
import { Workload } from '../bench/workload';
import { JUDGE_CHUNK, Pipeline } from './pipeline';

const EVENTS = 3 * JUDGE_CHUNK + 500;
const T0 = Date.parse('2026-12-07T08:00:00Z');
// Event time moves 1 s per event: every key's windows fill and drain, and alerts fire.
const SPACING_MS = 1000;

function run(batch: number): { alerts: string[]; rows: string[]; events: number } {
  const config = loadDefaultConfig();
  const p = new Pipeline(config, silentLogger());
  const set = buildPayloads(new Workload({ flows: ['people', 'goods', 'funds'], keys: 60, skew: 0, seed: 7 }), EVENTS, T0, SPACING_MS);
  const now = T0 + EVENTS * SPACING_MS;
  const alerts: string[] = [];
  let events = 0;
  for (let i = 0; i < EVENTS; i += batch) {
    const r = p.processBatch(makeRecords(set, i, Math.min(EVENTS, i + batch)), now, 's');
    alerts.push(...r.alerts.map((a) => `${a.id} ${a.status}`));
    events += r.events;
  }
  const rows = [...(p.takeChanges().get('s') ?? [])].map(
    ([id, b]) => `${id} ${b === null ? 'null' : Buffer.from(b as Uint8Array).toString('hex')}`,
  );
  return { alerts, rows, events };
}

it('a batch of several chunks gives what its records one by one give', () => {
  const whole = run(EVENTS);
  const single = run(1);
  expect(whole.events).toBe(EVENTS);
  expect(whole.alerts.length).toBeGreaterThan(0);
  expect(whole.rows.length).toBeGreaterThan(60);
  expect(whole).toEqual(single);
});
