import { fixedWindowEnd } from './history-window';

describe('fixedWindowEnd', () => {
  const day = Date.UTC(2026, 11, 7);
  it('is 09:00 UTC of the same day once that has passed', () => {
    expect(fixedWindowEnd(day + 9 * 3_600_000)).toBe(day + 9 * 3_600_000);
    expect(fixedWindowEnd(day + 23 * 3_600_000)).toBe(day + 9 * 3_600_000);
  });
  it('is 09:00 UTC of the day before when the bench runs earlier in the day', () => {
    expect(fixedWindowEnd(day + 8 * 3_600_000)).toBe(day - 15 * 3_600_000);
    expect(fixedWindowEnd(day)).toBe(day - 15 * 3_600_000);
  });
});
