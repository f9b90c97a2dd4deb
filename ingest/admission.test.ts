import type { FlowEvent } from '../kernel/types';
import { EventAdmission } from './admission';

const T0 = Date.UTC(2026, 10, 27, 8, 0);
const ev = (ts: number, extra: Partial<FlowEvent> = {}): FlowEvent => ({
  stream: 's',
  key: 'k',
  ts,
  values: { v: 1 },
  attrs: {},
  ...extra,
});

describe('EventAdmission', () => {
  const policy = { lateness: 60_000, maxFuture: 3_600_000, maxAge: 86_400_000 };

  it('admits in-order events and events within the allowed lateness', () => {
    const a = new EventAdmission(policy);
    expect(a.admit(ev(T0), T0).ok).toBe(true);
    expect(a.admit(ev(T0 + 120_000), T0).ok).toBe(true);
    // 60 s behind the max (T0+120s) is exactly at the watermark: still admitted
    expect(a.admit(ev(T0 + 60_000), T0).ok).toBe(true);
    expect(a.watermark).toBe(T0 + 60_000);
  });

  it('rejects events behind the watermark as late, with both times in the detail', () => {
    const a = new EventAdmission(policy);
    a.admit(ev(T0 + 600_000), T0);
    const r = a.admit(ev(T0), T0);
    expect(r).toMatchObject({ ok: false, reason: 'late' });
    expect(!r.ok && r.detail).toContain('2026-11-27T08:00:00.000Z');
  });

  it('rejects times far in the future or the past of the clock', () => {
    const a = new EventAdmission(policy);
    expect(a.admit(ev(T0 + 2 * 3_600_000), T0)).toMatchObject({ ok: false, reason: 'time_out_of_range' });
    expect(a.admit(ev(T0 - 2 * 86_400_000), T0)).toMatchObject({ ok: false, reason: 'time_out_of_range' });
    // a bogus future event must not move the watermark
    expect(a.admit(ev(T0), T0).ok).toBe(true);
  });

  it('drops duplicates by id, or by key+time+values without an id', () => {
    const a = new EventAdmission(policy);
    expect(a.admit(ev(T0, { id: 'p1' }), T0).ok).toBe(true);
    expect(a.admit(ev(T0 + 1, { id: 'p1' }), T0)).toMatchObject({ ok: false, reason: 'duplicate' });
    expect(a.admit(ev(T0 + 5), T0).ok).toBe(true);
    expect(a.admit(ev(T0 + 5), T0)).toMatchObject({ ok: false, reason: 'duplicate' });
    // same time, different value: a different record
    expect(a.admit(ev(T0 + 5, { values: { v: 2 } }), T0).ok).toBe(true);
  });

  it('keeps the dedup memory bounded', () => {
    const a = new EventAdmission({ ...policy, dedupCapacity: 2 });
    a.admit(ev(T0, { id: 'a' }), T0);
    a.admit(ev(T0, { id: 'b' }), T0);
    a.admit(ev(T0, { id: 'c' }), T0);
    // "a" was evicted: seen again, it is admitted (bounded memory beats perfect dedup)
    expect(a.admit(ev(T0, { id: 'a' }), T0).ok).toBe(true);
    expect(a.admit(ev(T0, { id: 'c' }), T0).ok).toBe(false);
  });
});
