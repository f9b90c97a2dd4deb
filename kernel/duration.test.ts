import { z } from 'zod';
import { duration, formatDuration, parseDuration } from './duration';

describe('parseDuration', () => {
  it.each([
    ['250ms', 250],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['1.5h', 5_400_000],
    ['7d', 604_800_000],
    ['1w', 604_800_000],
    ['0', 0],
  ])('%s → %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['5 minutes', '', 'm', '5', '-5m', '5M', '1h 30m'])('rejects %j', (text) => expect(parseDuration(text)).toBeNull());

  it('formats back to the shortest form', () => {
    expect(formatDuration(5_400_000)).toBe('1h30m');
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(1500)).toBe('1s500ms');
  });

  it('bounds a duration from above when asked', () => {
    const schema = z.object({ wait: duration({ max: 1000 }) });
    expect(schema.parse({ wait: '25ms' }).wait).toBe(25);
    const r = schema.safeParse({ wait: '2s' });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0].message).toBe('expected a duration of at most 1s, got "2s"');
  });

  it('schema error says what was expected and what was there', () => {
    const r = z.object({ window: duration() }).safeParse({ window: '5 minutes' });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0].message).toBe('expected a duration like "5m", got "5 minutes"');
  });
});
