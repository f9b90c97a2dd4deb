import { parseTime, utcIsoMillis } from './time';
import { Rng } from '../simulator/random';

describe('utcIsoMillis (fast path of ISO times)', () => {
  it('agrees with Date.parse on random times 1970–2400, with and without milliseconds', () => {
    const rng = new Rng(7);
    for (let i = 0; i < 20_000; i++) {
      const t = Math.floor(rng.next() * Date.UTC(2400, 0, 1));
      const iso = new Date(t).toISOString();
      const fast = utcIsoMillis(iso);
      // days 29–31 are left to Date.parse
      if (new Date(t).getUTCDate() <= 28) expect(fast).toBe(t);
      else expect(fast).toBeNaN();
      const noMs = iso.slice(0, 19) + 'Z';
      if (fast === fast) expect(utcIsoMillis(noMs)).toBe(Date.parse(noMs));
    }
  });

  it('declines every other form (parseTime then decides as before)', () => {
    for (const s of [
      '2026-11-27T08:00:00.1Z',
      '2026-11-27T08:00:00+01:00',
      '2026-11-27 08:00:00Z',
      '2026-11-27T24:00:00Z',
      '2026-11-27T23:60:00Z',
      '2026-13-01T00:00:00Z',
      '2026-00-01T00:00:00Z',
      '2026-02-29T00:00:00Z',
      '1969-12-31T23:59:59Z',
      '2026-1a-01T00:00:00Z',
      '2026-11-27T08:00:00.12xZ',
      '+02026-11-27T08:00Z',
      '2026-11-27T08:00:00.000z',
    ])
      expect(utcIsoMillis(s)).toBeNaN();
    expect(parseTime('2026-11-27T24:00:00Z', 'iso')).toBe(Date.parse('2026-11-27T24:00:00Z'));
    expect(parseTime('2026-02-30T00:00:00.000Z', 'iso')).toBe(Date.parse('2026-02-30T00:00:00.000Z'));
    expect(parseTime('2026-11-27T23:60:00Z', 'iso')).toMatch(/unparsable time/);
    expect(parseTime('2026-11-27T08:00:00.000Z', 'auto')).toBe(Date.UTC(2026, 10, 27, 8));
  });

  it('is tried first for iso and auto, never for the epoch formats', () => {
    expect(parseTime('2026-11-27T08:00:00.000Z', 'iso')).toBe(Date.UTC(2026, 10, 27, 8));
    expect(parseTime('2026-11-27T08:00:00Z', 'epoch_ms')).toBe('expected epoch milliseconds, got "2026-11-27T08:00:00Z"');
    expect(parseTime('2026-11-27T08:00:00Z', 'epoch_s')).toBe('expected epoch seconds, got "2026-11-27T08:00:00Z"');
    expect(parseTime('1764230400', 'iso')).toBe('expected an ISO 8601 time, got number 1764230400');
    expect(parseTime('1764230400', 'auto')).toBe(1764230400000);
  });
});
