/**
 * Bad input as a new user sends it: every bad record reaches the dead-letter output with its
 * reason and payload, and the good records around it are still judged.
 */
import { parseConfigText, validateConfig } from '../../config/load';
import { silentLogger } from '../../kernel/logger';
import { Pipeline } from '../../worker/pipeline';
import type { RawRecord } from '../../kernel/types';

const T0 = Date.UTC(2026, 10, 27, 8, 0);
const config = validateConfig(
  parseConfigText(`
streams:
  funds:
    source: { type: file, path: unused.jsonl }
    mapping:
      key: account
      time: { field: ts, format: epoch_ms }
      id: payment_id
      measurements: [amount]
    lateness: 1m
    max_future: 10m
    max_age: 1d
    detectors:
      - { type: threshold, name: big, measurement: amount, above: 1000 }
`),
);
const rec = (payload: unknown): RawRecord => ({
  stream: 'funds',
  payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
  source: 'test',
});
const pay = (id: string, amount: unknown, ts: unknown = T0) => rec({ payment_id: id, account: 'A', amount, ts });

describe('pipeline with bad input', () => {
  it('dead-letters each bad record with its reason and keeps judging the good ones', () => {
    const p = new Pipeline(config, silentLogger());
    const batch: RawRecord[] = [
      pay('p1', 10),
      rec('{"payment_id":"p2","account":"A","amount":'), // truncated JSON
      pay('p3', 'NaN'),
      pay('p4', 'Infinity'),
      pay('p5', 'twelve'),
      rec({ payment_id: 'p6', account: 'A', amount: 5 }), // no time
      pay('p7', 5, 'tomorrow'),
      pay('p8', 5, T0 + 365 * 86_400_000), // far future
      pay('p9', 5, Date.UTC(1970, 0, 2)), // far past
      pay('p1', 10), // duplicate id
      pay('p10', 5000, T0 + 60_000), // good, fires
      pay('p11', 5, T0 - 10 * 60_000), // late
      { stream: 'fundz', payload: '{}', source: 'test' }, // unknown stream
    ];
    const r = p.processBatch(batch, T0);
    expect(r.events).toBe(2);
    expect(r.rejects.map((x) => x.reason)).toEqual([
      'malformed',
      'bad_value',
      'bad_value',
      'bad_value',
      'bad_time',
      'bad_time',
      'time_out_of_range',
      'time_out_of_range',
      'duplicate',
      'late',
      'unknown_stream',
    ]);
    for (const x of r.rejects) {
      expect(x.raw.length).toBeGreaterThan(0);
      expect(x.detail.length).toBeGreaterThan(10);
      expect(x.source).toBe('test');
    }
    expect(r.rejects[0].raw).toBe('{"payment_id":"p2","account":"A","amount":');
    expect(r.alerts).toHaveLength(1);
    expect(r.alerts[0]).toMatchObject({ status: 'firing', stream: 'funds', key: 'A', detector: 'big' });
    expect(p.stats.rejectsByReason).toMatchObject({
      bad_value: 3,
      bad_time: 2,
      time_out_of_range: 2,
      malformed: 1,
      duplicate: 1,
      late: 1,
      unknown_stream: 1,
    });

    // The next batch is processed as usual.
    const r2 = p.processBatch([pay('p12', 10, T0 + 120_000)], T0 + 120_000);
    expect(r2.events).toBe(1);
    expect(r2.alerts.map((a) => a.status)).toEqual(['resolved']);
  });

  it('state survives a store round trip (plain JSON) and resumes mid-episode', async () => {
    const { MemoryStateStore } = await import('../../state/memory-store');
    const store = new MemoryStateStore();
    const a = new Pipeline(config, silentLogger());
    expect(a.processBatch([pay('q1', 5000)], T0, 'funds').alerts.map((x) => x.status)).toEqual(['firing']);
    expect(await a.commit(store, 'funds', 1)).toBe(true);
    // A re-delivered batch (same position) is not applied twice.
    expect(await store.commit('funds', 1, new Map([['x', 1]]))).toBe(false);

    const b = new Pipeline(config, silentLogger());
    b.restore(await store.loadAll('funds'), 'funds');
    expect(store.size('funds')).toBe(2); // the key's row and the scope's watermark
    // Still firing after the restart: the next high value does not notify again; a low one resolves.
    expect(b.processBatch([pay('q2', 6000, T0 + 1000)], T0).alerts).toHaveLength(0);
    expect(b.processBatch([pay('q3', 1, T0 + 2000)], T0).alerts.map((x) => x.status)).toEqual(['resolved']);
  });
});
