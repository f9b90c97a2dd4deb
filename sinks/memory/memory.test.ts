import pino from 'pino';
import type { Point } from '../types';
import { MemorySink } from './index';

const p = (i: number): Point => ({ measurement: 'people', tags: { key: 'g' }, fields: { value: i }, ts: i });

describe('MemorySink', () => {
  it('keeps points in order up to max and counts the rest as dropped', async () => {
    const sink = new MemorySink({ max: 3 });
    sink.write([p(1), p(2)]);
    sink.write([p(3), p(4), p(5)]);
    expect(sink.points.map((x) => x.ts)).toEqual([1, 2, 3]);
    expect(sink.stats()).toEqual({ written: 3, buffered: 0, dropped: 2, failedFlushes: 0, retries: 0 });
    await sink.flush();
    expect(sink.name).toBe('memory');
  });

  it('take() empties it, so the bound applies afresh; written keeps counting', () => {
    const sink = new MemorySink({ max: 2 });
    sink.write([p(1), p(2)]);
    expect(sink.take().map((x) => x.ts)).toEqual([1, 2]);
    sink.write([p(3)]);
    expect(sink.points).toHaveLength(1);
    expect(sink.stats()).toMatchObject({ written: 3, dropped: 0 });
  });

  it('counts writes after close as dropped and logs drops (rate-limited)', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(s) });
    const sink = new MemorySink({ name: 'mem', max: 1, log });
    sink.write([p(1), p(2), p(3)]);
    sink.write([p(4)]);
    await sink.close();
    sink.write([p(5)]);
    expect(sink.stats().dropped).toBe(4);
    const warn = lines.map((l) => JSON.parse(l));
    expect(warn[0]).toMatchObject({ component: 'sink', sink: 'mem', dropped: 2, dropped_total: 2 });
    expect(warn[1]).toMatchObject({ dropped: 1, dropped_total: 3 }); // reported at close
  });

  it('rejects a bad max', () => {
    expect(() => new MemorySink({ max: -1 })).toThrow(RangeError);
  });
});
