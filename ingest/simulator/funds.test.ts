import type { GroundTruthLabel } from './index';
import { DAY, HOUR, MIN, MONDAY, inLabel, payloadOf, run, within } from './testing';

const START = Date.UTC(2026, 10, 27, 6, 0);
const median = (xs: number[]): number => {
  const s = xs.slice().sort((a, b) => a - b);
  return s[s.length >> 1];
};
const inBand = (a: number): boolean => a >= 9000 && a < 10000;

describe('funds flow: normal behaviour', () => {
  const r = run({ seed: 4, start: MONDAY, flows: ['funds'], anomalies: { enabled: false } }, 3 * DAY, DAY);
  const all = r.records.map(payloadOf);

  test('about 200 accounts, unique increasing payment ids, integer epoch seconds', () => {
    expect(r.byKey.size).toBeGreaterThan(190);
    expect(r.byKey.size).toBeLessThanOrEqual(200);
    const ids = all.map((p) => Number(String(p.payment_id).slice(2)));
    expect(ids.every((id, i) => i === 0 || id === ids[i - 1] + 1)).toBe(true);
    expect(all.every((p) => Number.isInteger(p.ts))).toBe(true);
  });

  test('log-normal amounts: card median ≈ 40, transfers ≈ 400; all channels used', () => {
    const by = (ch: string): number[] => all.filter((p) => p.channel === ch).map((p) => p.amount as number);
    expect(median(by('card'))).toBeGreaterThan(25);
    expect(median(by('card'))).toBeLessThan(65);
    expect(median(by('transfer'))).toBeGreaterThan(250);
    expect(median(by('transfer'))).toBeLessThan(650);
    expect(by('online').length).toBeGreaterThan(100);
    expect(all.every((p) => p.amount > 0 && Math.round(p.amount * 100) === Math.round(p.amount * 100 + 1e-9))).toBe(true);
    expect(all.filter((p) => p.channel === 'transfer').every((p) => /^ACC-/.test(p.counterparty))).toBe(true);
    expect(all.filter((p) => p.channel !== 'transfer').every((p) => /^M-/.test(p.counterparty))).toBe(true);
  });

  test('activity levels differ between accounts and follow a daily cycle (little at night)', () => {
    const perAccount = [...r.byKey.values()].map((rs) => rs.length / 3);
    expect(Math.max(...perAccount) / Math.max(1, Math.min(...perAccount))).toBeGreaterThan(10);
    const hourOf = (p: Record<string, any>): number => new Date(p.ts * 1000).getUTCHours();
    const night = all.filter((p) => hourOf(p) >= 1 && hourOf(p) < 5).length;
    const day = all.filter((p) => hourOf(p) >= 10 && hourOf(p) < 14).length;
    expect(night).toBeLessThan(0.1 * day);
  });

  test('habitual counterparties: a Zipf-like favourite, a stable set, few new ones', () => {
    const topShare: number[] = [];
    for (const rs of r.byKey.values()) {
      if (rs.length < 40) continue;
      const counts = new Map<string, number>();
      for (const x of rs) counts.set(payloadOf(x).counterparty, (counts.get(payloadOf(x).counterparty) ?? 0) + 1);
      topShare.push(Math.max(...counts.values()) / rs.length);
      expect(counts.size).toBeLessThan(45);
    }
    expect(topShare.length).toBeGreaterThan(20);
    expect(median(topShare)).toBeGreaterThan(0.2);
  });

  test('no bursts, no band amounts, no fan-outs in normal traffic', () => {
    let bursts = 0;
    let wide = 0;
    for (const rs of r.byKey.values()) {
      for (let i = 0; i < rs.length; i++) {
        let j = i;
        while (j > 0 && rs[j - 1].ts > rs[i].ts - 10 * MIN) j--;
        if (i - j + 1 > 10) bursts++;
        const parties = new Set<string>();
        for (let k = i; k >= 0 && rs[k].ts > rs[i].ts - HOUR; k--) parties.add(payloadOf(rs[k]).counterparty);
        if (parties.size >= 14) wide++;
      }
    }
    expect(bursts).toBe(0);
    expect(wide).toBe(0);
    expect(all.filter((p) => inBand(p.amount)).length).toBe(0);
  });
});

describe.each([1, 2, 3])('funds flow anomalies (seed %p)', (seed) => {
  const r = run({ seed, start: START, flows: ['funds'], anomalies: { perFlowPerDay: 8 } }, 2 * DAY);
  const labels = r.labels;
  // Only labels that ended inside the simulated span (a structuring label may run past it).
  const of = (kind: string): GroundTruthLabel[] => labels.filter((l) => l.kind === kind && l.end <= START + 2 * DAY);

  test('each kind appears on the first day', () => {
    for (const k of ['velocity_burst', 'structuring', 'fan_out'])
      expect(labels.some((l) => l.kind === k && l.start < START + DAY)).toBe(true);
  });

  test('velocity_burst: >= 15 payments inside the 5–15 min window', () => {
    for (const l of of('velocity_burst')) {
      expect(within(r.byKey.get(l.key), l.start, l.end).length).toBeGreaterThanOrEqual(15);
      expect(l.end - l.start).toBeLessThanOrEqual(15 * MIN);
    }
  });

  test('structuring: >= 4 transfers in [9000, 10000) over 1–6 h', () => {
    for (const l of of('structuring')) {
      const band = within(r.byKey.get(l.key), l.start, l.end)
        .map(payloadOf)
        .filter((p) => inBand(p.amount));
      expect(band.length).toBeGreaterThanOrEqual(4);
      expect(band.every((p) => p.channel === 'transfer' && p.amount <= 9990)).toBe(true);
      expect(new Set(band.map((p) => p.counterparty)).size).toBeLessThanOrEqual(3);
      expect(l.end - l.start).toBeGreaterThanOrEqual(HOUR);
      expect(l.end - l.start).toBeLessThanOrEqual(6 * HOUR + 1000);
    }
  });

  test("fan_out: >= 15 distinct counterparties never seen before in the account's history", () => {
    for (const l of of('fan_out')) {
      const rs = r.byKey.get(l.key)!;
      const history = new Set(rs.filter((x) => x.ts < l.start).map((x) => payloadOf(x).counterparty));
      const fresh = new Set(
        within(rs, l.start, l.end)
          .map((x) => payloadOf(x).counterparty)
          .filter((c) => !history.has(c)),
      );
      expect(fresh.size).toBeGreaterThanOrEqual(15);
      expect(l.end - l.start).toBeLessThanOrEqual(HOUR);
    }
  });

  test('outside labels: <= 10 payments per 10 min, no band amounts, < 14 counterparties per hour', () => {
    const problems: string[] = [];
    for (const [key, rs] of r.byKey) {
      for (let i = 0; i < rs.length; i++) {
        const t = rs[i].ts;
        const p = payloadOf(rs[i]);
        if (inBand(p.amount) && !inLabel(labels, key, t, ['structuring'])) problems.push(`band ${key} ${t}`);
        if (inLabel(labels, key, t, ['velocity_burst', 'fan_out'], HOUR)) continue;
        let j = i;
        while (j > 0 && rs[j - 1].ts > t - 10 * MIN) j--;
        if (i - j + 1 > 10) problems.push(`burst ${key} ${t}`);
        const parties = new Set<string>();
        for (let k = i; k >= 0 && rs[k].ts > t - HOUR; k--) parties.add(payloadOf(rs[k]).counterparty);
        if (parties.size >= 14) problems.push(`fan-out ${key} ${t}`);
      }
    }
    expect(problems).toEqual([]);
  });
});
