/**
 * Backtest with the forecast detector: a CSV series with two build-ups, labels marking the
 * breaches (each window starts when the limit is crossed), and the lead time per window in the
 * printed report.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runBacktest, type BacktestIO } from '../../backtest/backtest';
import { windowLeads } from '../../backtest/lead';
import { silentLogger } from '../../kernel/logger';

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 5);
const iso = (ms: number) => new Date(ms).toISOString();

it('reports the lead time of each labelled breach', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fw-forecast-backtest-'));
  // Minute data: 2 ± noise, build-ups from minute 300 (0.05/min: crosses 4 at minute 340) and from
  // minute 900 (0.1/min: crosses at 920), each back down after; the limit is 4.
  let seed = 9;
  const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * 0.1;
  const level = (m: number) => {
    if (m >= 300 && m < 360) return 2 + 0.05 * (m - 300);
    if (m >= 360 && m < 400) return 5 - 0.075 * (m - 360);
    if (m >= 900 && m < 930) return 2 + 0.1 * (m - 900);
    if (m >= 930 && m < 960) return 5 - 0.1 * (m - 930);
    return 2;
  };
  let csv = 'timestamp,value\n';
  for (let m = 0; m < 1200; m++) csv += `${iso(T0 + m * MIN)},${(level(m) + rnd()).toFixed(3)}\n`;
  writeFileSync(path.join(dir, 'platform.csv'), csv);
  writeFileSync(
    path.join(dir, 'labels.json'),
    JSON.stringify({
      'platform.csv': [
        [iso(T0 + 341 * MIN), iso(T0 + 370 * MIN)],
        [iso(T0 + 921 * MIN), iso(T0 + 945 * MIN)],
      ],
    }),
  );
  writeFileSync(
    path.join(dir, 'forecast.yaml'),
    `streams:
  series:
    source: { type: file, path: unused.csv }
    mapping: { key: series, time: { field: timestamp }, measurements: [value] }
    detectors:
      - { type: forecast, name: ahead, measurement: value, limit: 4, horizon: 30m, min_std: 0.05 }
`,
  );
  const stdout: string[] = [];
  const io: BacktestIO = { log: silentLogger(), out: (l) => void stdout.push(l), err: () => {} };
  const r = await runBacktest(
    {
      input: path.join(dir, 'platform.csv'),
      out: path.join(dir, 'out.csv'),
      config: path.join(dir, 'forecast.yaml'),
      labels: path.join(dir, 'labels.json'),
    },
    io,
  );
  expect(r.exitCode).toBe(0);
  const line = stdout.find((l) => l.startsWith('lead time per labelled window'))!;
  expect(line).toMatch(/2 of 2 alerted ahead, 0 missed, median \+\d+m/);
  const f = r.files[0];
  const leads = windowLeads([
    {
      name: 'platform.csv',
      ts: f.ts,
      alert: f.alert,
      windows: [
        [T0 + 341 * MIN, T0 + 370 * MIN],
        [T0 + 921 * MIN, T0 + 945 * MIN],
      ],
    },
  ]);
  // 40 minutes of build-up at 0.05/min and 20 at 0.1/min: both warned at least 10 minutes ahead.
  for (const l of leads) expect(l.leadMs!).toBeGreaterThanOrEqual(10 * MIN);
  process.stdout.write(`${line}\n`);
});

it('a window with no alert is missed; an alert only inside it is a negative lead', () => {
  const ts = Array.from({ length: 10 }, (_, i) => i * MIN);
  const leads = windowLeads([
    {
      name: 'a',
      ts,
      alert: [0, 0, 0, 0, 0, 0, 0, 1, 1, 0],
      windows: [
        [2 * MIN, 4 * MIN],
        [5 * MIN, 8 * MIN],
      ],
    },
    { name: 'b', ts, alert: [0, 1, 1, 1, 1, 0, 0, 0, 0, 0], windows: [[3 * MIN, 5 * MIN]] },
  ]);
  expect(leads.map((l) => l.leadMs)).toEqual([null, -2 * MIN, 2 * MIN]);
});
