import pino from 'pino';
import { DropReporter } from './drop-reporter';

function setup() {
  const lines: Array<Record<string, unknown>> = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  let now = 1_000_000;
  const r = new DropReporter(log, 'test sink', 10_000, () => now);
  return { r, lines, advance: (ms: number) => (now += ms) };
}

describe('DropReporter', () => {
  afterEach(() => jest.useRealTimers());

  it('warns at once for the first drop, then at most once per interval with the running total', () => {
    jest.useFakeTimers();
    const { r, lines, advance } = setup();
    r.note(5, 'buffer_full');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 40,
      dropped: 5,
      dropped_total: 5,
      reasons: { buffer_full: 5 },
      msg: 'test sink: dropped 5 points (5 in total)',
    });
    advance(1000);
    r.note(3, 'buffer_full');
    r.note(1, 'invalid');
    expect(lines).toHaveLength(1);
    advance(9000);
    jest.advanceTimersByTime(9000); // the quiet period ends: the pending drops are reported
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ dropped: 4, dropped_total: 9, reasons: { buffer_full: 3, invalid: 1 } });
    advance(10_000);
    r.note(2, 'closed');
    expect(lines).toHaveLength(3);
    expect(r.dropped).toBe(11);
    r.close();
  });

  it('close() reports drops still pending, and nothing when there are none', () => {
    const { r, lines, advance } = setup();
    r.note(1, 'x');
    advance(10);
    r.note(1000, 'x');
    expect(lines).toHaveLength(1);
    r.close();
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ dropped: 1000, dropped_total: 1001 });
    r.close();
    expect(lines).toHaveLength(2);
  });

  it('ignores zero counts', () => {
    const { r, lines } = setup();
    r.note(0, 'x');
    expect(lines).toHaveLength(0);
    expect(r.dropped).toBe(0);
  });
});
