/**
 * processBatch looks every admitted event's row up before judging the batch (judgeAdmitted): the
 * verdicts, alerts and stored rows are the ones judging the records one at a time gives — keys new
 * in a batch and seen again in it, rejects between events, timers due inside the batch.
 */
import { silentLogger } from '../kernel/logger';
import type { Alert } from '../kernel/types';
import { Pipeline } from './pipeline';
import { SCOPE, batches, config, nowOf } from '../test/fixtures/state-layout-v1/scenario';

function run(oneByOne: boolean): { alerts: string[]; rows: string[]; rejects: number } {
  const p = new Pipeline(config, silentLogger());
  const alerts: string[] = [];
  // Every commit's rows, in order: which key, in which commit, in which bytes.
  const rows: string[] = [];
  let rejects = 0;
  const keep = (list: Alert[]) => alerts.push(...list.map((a) => `${a.id} ${a.status}`));
  batches().forEach((records, i) => {
    const now = nowOf(i);
    // A malformed record between events: refused, while the others around it are judged.
    const batch = records.length > 1 ? [records[0], { stream: 'funds', payload: '{not json' }, ...records.slice(1)] : records;
    for (const part of oneByOne ? batch.map((r) => [r]) : [batch]) {
      const r = p.processBatch(part, now, SCOPE);
      keep(r.alerts);
      rejects += r.rejects.length;
    }
    keep(p.advance(now));
    for (const [id, bytes] of p.takeChanges().get(SCOPE) ?? [])
      rows.push(`${i} ${id} ${bytes === null ? 'null' : Buffer.from(bytes as Uint8Array).toString('hex')}`);
  });
  return { alerts, rows, rejects };
}

it('a batch judged with its rows looked up first gives what the records one by one give', () => {
  const batched = run(false);
  const single = run(true);
  expect(batched.alerts.length).toBeGreaterThan(0);
  expect(batched.rejects).toBeGreaterThan(0);
  expect(batched.rows.length).toBeGreaterThan(50);
  expect(batched).toEqual(single);
});

it('keys new in a batch and repeated in it get one row each', () => {
  const all = batches();
  const keys = new Set<string>();
  let repeated = 0;
  for (const r of all[0]) {
    const k = JSON.parse(String(r.payload)).account ?? '';
    if (keys.has(k)) repeated++;
    keys.add(k);
  }
  expect(repeated).toBeGreaterThan(0); // the scenario's first batch repeats keys it introduces
  const p = new Pipeline(config, silentLogger());
  p.processBatch(all[0], nowOf(0), SCOPE);
  const changed = p.takeChanges().get(SCOPE)!;
  expect([...changed.keys()].filter((id) => !id.startsWith('\u0001')).length).toBe(keys.size);
});
