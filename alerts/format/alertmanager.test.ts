/** Alertmanager's shapes: the label-set fingerprint, Go's time format, the webhook message and the postable alert. */
import { makeAlert, resolved } from '../testing/fakes';
import type { Notification } from '../notification';
import { amPostableAlert, amWebhookMessage, GO_ZERO_TIME, labelSetFingerprint, rfc3339 } from './alertmanager';

describe('labelSetFingerprint', () => {
  it("matches prometheus/common's own test vectors (model/signature_test.go TestMetricToFingerprint)", () => {
    expect(labelSetFingerprint({})).toBe(BigInt('14695981039346656037').toString(16).padStart(16, '0'));
    expect(labelSetFingerprint({ name: 'garland, briggs', fear: 'love is not enough' })).toBe(
      BigInt('5799056148416392346').toString(16).padStart(16, '0'),
    );
  });
  it('does not depend on key order, and separates names from values', () => {
    expect(labelSetFingerprint({ b: '1', a: '2' })).toBe(labelSetFingerprint({ a: '2', b: '1' }));
    expect(labelSetFingerprint({ a: 'bc' })).not.toBe(labelSetFingerprint({ ab: 'c' }));
    expect(labelSetFingerprint({ a: 'bc' })).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe('rfc3339', () => {
  it("formats like Go's time.Time JSON (RFC3339Nano, UTC)", () => {
    expect(rfc3339(Date.UTC(2026, 10, 27, 8, 2, 0))).toBe('2026-11-27T08:02:00Z');
    expect(rfc3339(Date.UTC(2026, 10, 27, 8, 2, 0, 120))).toBe('2026-11-27T08:02:00.12Z');
    expect(rfc3339(Date.UTC(2026, 10, 27, 8, 2, 0, 123))).toBe('2026-11-27T08:02:00.123Z');
    expect(rfc3339(-62135596800000)).toBe(GO_ZERO_TIME);
  });
});

describe('amWebhookMessage', () => {
  const t0 = Date.UTC(2026, 10, 27, 8, 0, 0);
  const a = makeAlert({ key: 'gate-1', severity: 'critical', startsAt: t0 });
  const b = makeAlert({ key: 'gate-2', severity: 'critical', startsAt: t0 + 1000 });
  const n = (alerts: Notification['alerts'], over: Partial<Notification> = {}): Notification => ({
    id: 'n-1',
    receiver: 'am.hook',
    reason: 'new',
    groupKey: 'g-1',
    groupLabels: { stream: 'people' },
    createdAt: t0,
    alerts,
    ...over,
  });

  it('is version 4 with every field Alertmanager sends, in its order', () => {
    const m = amWebhookMessage(n([a, b]), { externalUrl: 'http://fw:9464/' });
    expect(Object.keys(m)).toEqual([
      'receiver',
      'status',
      'alerts',
      'notification_reason',
      'groupLabels',
      'commonLabels',
      'commonAnnotations',
      'routeLabels',
      'externalURL',
      'version',
      'groupKey',
      'truncatedAlerts',
    ]);
    expect(m).toMatchObject({
      receiver: 'am\\.hook',
      status: 'firing',
      version: '4',
      groupKey: 'g-1',
      truncatedAlerts: 0,
      externalURL: 'http://fw:9464/',
      groupLabels: { stream: 'people' },
      routeLabels: {},
    });
    expect(m.commonLabels).toEqual({ alertname: 'surge', stream: 'people', detector: 'surge', severity: 'critical' });
    expect(m.commonAnnotations).toEqual({
      description: 'entries = 412 (baseline 130, deviation 4.8 sigma)',
      evidence: JSON.stringify(a.evidence),
      score: '0.9',
    });
    const x = m.alerts[0];
    expect(Object.keys(x)).toEqual(['status', 'labels', 'annotations', 'startsAt', 'endsAt', 'generatorURL', 'fingerprint']);
    expect(x).toMatchObject({
      status: 'firing',
      startsAt: '2026-11-27T08:00:00Z',
      endsAt: GO_ZERO_TIME,
      fingerprint: labelSetFingerprint(x.labels),
    });
    expect(x.labels).toEqual({ alertname: 'surge', stream: 'people', key: 'gate-1', detector: 'surge', severity: 'critical' });
    expect(x.annotations).toMatchObject({ summary: 'gate-1: something', flowwatch_fingerprint: 'people/surge/gate-1' });
    expect(x.generatorURL).toBe(
      'http://fw:9464/api/v2/alerts?filter=alertname%3D%22surge%22&filter=stream%3D%22people%22&filter=key%3D%22gate-1%22',
    );
  });

  it('resolved: endsAt set, status resolved; max_alerts truncates and counts the rest', () => {
    const m = amWebhookMessage(n([resolved(a), resolved(b)]), { maxAlerts: 1 });
    expect(m).toMatchObject({ status: 'resolved', truncatedAlerts: 1, notification_reason: 'all alerts resolved', externalURL: '' });
    expect(m.alerts).toHaveLength(1);
    expect(m.alerts[0]).toMatchObject({ status: 'resolved', endsAt: '2026-11-27T08:01:00Z', generatorURL: '' });
  });

  it('evidence annotation: the window in RFC 3339', () => {
    const c = makeAlert({ key: 'k' });
    c.evidence = { ...c.evidence, window: { start: Date.UTC(2026, 0, 1), end: Date.UTC(2026, 0, 1, 0, 10), size: 600_000 } };
    expect(JSON.parse(amWebhookMessage(n([c])).alerts[0].annotations.evidence).window).toEqual({
      start: '2026-01-01T00:00:00Z',
      end: '2026-01-01T00:10:00Z',
      size: 600_000,
    });
  });

  it('keeps a label named alertname; drops empty label values (as Alertmanager does on receipt)', () => {
    const c = makeAlert({ key: 'k', labels: { alertname: 'GateSurge', team: '' } });
    expect(amWebhookMessage(n([c])).alerts[0].labels).toEqual({
      alertname: 'GateSurge',
      stream: 'people',
      key: 'k',
      detector: 'surge',
      severity: 'warning',
    });
  });
});

describe('amPostableAlert', () => {
  it('firing: valid until the given time; resolved: its end', () => {
    const a = makeAlert({ key: 'gate-1', startsAt: Date.UTC(2026, 0, 1) });
    expect(amPostableAlert(a, { validUntil: Date.UTC(2026, 0, 1, 0, 4) })).toMatchObject({
      startsAt: '2026-01-01T00:00:00Z',
      endsAt: '2026-01-01T00:04:00Z',
    });
    expect(amPostableAlert(resolved(a), { validUntil: Date.UTC(2027, 0, 1) })).toMatchObject({ endsAt: '2026-01-01T00:01:00Z' });
    expect(amPostableAlert(a, { validUntil: 0 }).endsAt).toBe('2026-01-01T00:00:01Z'); // never before its start
    expect(amPostableAlert(a, { validUntil: 0 })).not.toHaveProperty('generatorURL');
  });
});
