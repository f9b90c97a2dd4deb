import { defaultSummary, fmt, renderTemplate } from './summary';

const base = {
  key: 'central-g3',
  stream: 'people',
  detector: 'crowd-surge',
  unit: 'entries/min',
  attrs: { station: 'Central', gate: '3' },
  evidence: {
    measure: 'entries',
    value: 412,
    baseline: 130.4,
    deviation: 4.83,
    unit: 'sigma' as const,
    window: { start: 0, end: 300_000 },
  },
};

describe('alert summaries', () => {
  it('renders the documented placeholders', () => {
    expect(
      renderTemplate(
        'Gate {attr.gate} at {attr.station}: {value} entries/min, {deviation}σ above the usual {baseline} over {window}',
        base,
      ),
    ).toBe('Gate 3 at Central: 412 entries/min, 4.83σ above the usual 130 over 5m');
  });
  it('leaves unknown placeholders visible so a typo shows', () => {
    expect(renderTemplate('{valeu}', base)).toBe('{valeu}');
  });
  it('has a readable default per evidence unit', () => {
    expect(defaultSummary(base)).toBe('central-g3: entries 412 entries/min, 4.83σ above the usual 130');
    expect(
      defaultSummary({
        ...base,
        unit: undefined,
        evidence: { measure: 'silence', value: 420, baseline: null, deviation: null, unit: 'seconds', limit: 300 },
      }),
    ).toBe('central-g3: no events for 7m (limit 5m)');
  });
  it('says the configured window, not the span observed so far; {span} is the span', () => {
    // 11 payments seen over 9 minutes of a 10-minute window; a 24h window seen over 23h22m.
    const rate = {
      ...base,
      unit: undefined,
      evidence: {
        measure: 'count',
        value: 11,
        baseline: null,
        deviation: null,
        unit: 'count' as const,
        limit: 10,
        window: { start: 0, end: 9 * 60_000, size: 10 * 60_000 },
      },
    };
    expect(defaultSummary(rate)).toBe('central-g3: count 11 in 10m, limit 10');
    const day = { ...rate, evidence: { ...rate.evidence, window: { start: 0, end: (23 * 60 + 22) * 60_000, size: 24 * 3_600_000 } } };
    expect(renderTemplate('{value} payments in {window} (seen over {span})', day)).toBe('11 payments in 1d (seen over 23h22m)');
  });
  it('formats numbers for people', () => {
    expect(fmt(12345.6)).toBe('12,346');
    expect(fmt(37.54)).toBe('37.5');
    expect(fmt(4.826)).toBe('4.83');
    expect(fmt(NaN)).toBe('?');
  });
});
