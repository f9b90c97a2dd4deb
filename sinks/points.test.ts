import type { Alert, Observation } from '../kernel/types';
import { aggregatePoint, alertPoint } from './points';

const T = Date.UTC(2026, 0, 5, 8, 30);

describe('aggregatePoint', () => {
  it('maps stream, key, detector and the evidence numbers', () => {
    const p = aggregatePoint('people', 'gate-3', 'crowd-surge', { score: 0.8, evidence: { value: 412, baseline: 130, deviation: 4.8 } }, T);
    expect(p).toEqual({
      measurement: 'people',
      tags: { key: 'gate-3', detector: 'crowd-surge' },
      fields: { value: 412, score: 0.8, baseline: 130, deviation: 4.8 },
      ts: T,
    });
  });

  it('leaves out null baseline and deviation', () => {
    const p = aggregatePoint('funds', 'acct-1', 'velocity', { score: 0, evidence: { value: 3, baseline: null, deviation: null } }, T);
    expect(p.fields).toEqual({ value: 3, score: 0 });
    expect(Object.keys(p.fields)).not.toContain('baseline');
  });

  it('leaves out NaN and infinite numbers (InfluxDB rejects them)', () => {
    const p = aggregatePoint('goods', 'c-7', 'temp', { score: NaN, evidence: { value: 5.5, baseline: Infinity, deviation: -Infinity } }, T);
    expect(p.fields).toEqual({ value: 5.5 });
  });

  it('keeps zero and negative values', () => {
    const p = aggregatePoint('goods', 'c-7', 'temp', { score: 0, evidence: { value: -18.5, baseline: 0, deviation: -0.25 } }, T);
    expect(p.fields).toEqual({ value: -18.5, score: 0, baseline: 0, deviation: -0.25 });
  });

  it('gives a point with no fields when nothing is finite (a sink counts it as invalid)', () => {
    const p = aggregatePoint('people', 'g', 'd', { score: NaN, evidence: { value: NaN, baseline: null, deviation: null } }, T);
    expect(p.fields).toEqual({});
  });

  it('accepts a full Observation (extra evidence fields are ignored)', () => {
    const obs: Observation = {
      score: 1,
      firing: true,
      evidence: { measure: 'count', value: 12, baseline: null, deviation: null, unit: 'count', limit: 10 },
    };
    const p = aggregatePoint('funds', 'a', 'rate', obs, T);
    expect(p.fields).toEqual({ value: 12, score: 1 });
  });
});

describe('alertPoint', () => {
  const alert: Alert = {
    id: 'fp|firing|' + T,
    fingerprint: 'people|crowd-surge|gate-3',
    status: 'firing',
    stream: 'people',
    key: 'gate-3',
    detector: 'crowd-surge',
    severity: 'critical',
    labels: { team: 'ops' },
    startsAt: T,
    score: 0.93,
    summary: 'Gate 3 at Central: 412 entries/min, 4.8σ above the usual 130',
    evidence: { measure: 'entries', value: 412, baseline: 130, deviation: 4.8, unit: 'sigma' },
  };

  it('maps a firing alert at its start time', () => {
    expect(alertPoint(alert)).toEqual({
      measurement: 'alerts',
      tags: { stream: 'people', key: 'gate-3', detector: 'crowd-surge', severity: 'critical', status: 'firing' },
      fields: { score: 0.93, summary: 'Gate 3 at Central: 412 entries/min, 4.8σ above the usual 130', starts_at: T },
      ts: T,
    });
  });

  it('puts a resolved alert at its end time, keeping starts_at', () => {
    const p = alertPoint({ ...alert, status: 'resolved', endsAt: T + 600_000 });
    expect(p.ts).toBe(T + 600_000);
    expect(p.tags.status).toBe('resolved');
    expect(p.fields.starts_at).toBe(T);
  });

  it('a resolved alert without endsAt falls back to startsAt', () => {
    expect(alertPoint({ ...alert, status: 'resolved' }).ts).toBe(T);
  });

  it('leaves out a non-finite score', () => {
    expect(alertPoint({ ...alert, score: NaN }).fields).toEqual({ summary: alert.summary, starts_at: T });
  });
});
