/**
 * Issue 14 part 5: a silence whose regex backtracks catastrophically in a JS engine
 * (`key=~"(a+)+$"`) meets a label value from input data (`aaaa…a!`). Matching runs on RE2 now, so
 * the event loop stays free: /healthz answers in < 100 ms throughout, the alert (not silenced: the
 * value ends in '!') reaches the receiver, and SIGTERM exits within the bound.
 */
import { spawn } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { killAllWorkers, produceAll, readJsonLines } from '../support/workers';
import type { RecordedRecord } from '../support/recorded-stream';
import { closeRedisClient, Drill, SHUTDOWN_BOUND_MS } from './support/drill';

jest.setTimeout(300_000);

const TOKEN = 'drill-token-0123456789'; // the API wants at least 16 characters
const HEALTH_BOUND_MS = 100;

afterAll(async () => {
  await killAllWorkers();
  await closeRedisClient();
});

it('a pathological silence regex against input-derived labels: /healthz < 100 ms, alert delivered, SIGTERM within the bound', async () => {
  const d = await Drill.open('regex-silence');
  const port = 25100 + Math.floor(Math.random() * 800);
  const api = `http://127.0.0.1:${port}`;
  const w = d.worker('w1', { alerting: { api: { listen: `127.0.0.1:${port}` } } }, { env: { FLOWWATCH_API_TOKEN: TOKEN } });

  // The API answers: the worker is up.
  const deadline = Date.now() + 120_000;
  for (;;) {
    const ok = await fetch(`${api}/healthz`, { signal: AbortSignal.timeout(1000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (!w.running || Date.now() > deadline) throw new Error(`the worker's API never answered on ${api}:\n${w.tail()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const created = await fetch(`${api}/api/silences`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      matchers: ['key=~"(a+)+$"'],
      duration: '1h',
      createdBy: 'drill',
      comment: 'issue 14: catastrophic backtracking',
    }),
  });
  expect(created.status).toBe(201);

  // Two containers run 6.5 °C over their setpoint for 12 minutes of event time, so temperature-excursion
  // fires for both and the silence's regex is tried against each id: 40 'a's and a '!' (the silence
  // does not match: with a backtracking engine this is the call that never returns), and 40 'a's
  // alone (it matches: that alert is silenced, so the matcher really decides).
  const key = 'a'.repeat(40) + '!';
  const silencedKey = 'a'.repeat(40);
  const t0 = Date.now() - 15 * 60_000;
  const records: RecordedRecord[] = [];
  for (let i = 0; i < 24; i++) {
    const ts = t0 + i * 30_000;
    for (const k of [key, silencedKey]) {
      records.push({
        stream: 'goods',
        key: k,
        partition: 0,
        ts,
        payload: {
          container_id: k,
          truck_id: 'TRK-01',
          ts,
          temp_c: 10.5,
          setpoint_c: 4,
          door_open: false,
          speed_kmh: 50,
          in_transit: true,
        },
      });
    }
  }

  // The poller is its own process (curl in a loop), so the time measured is the worker's answer, not
  // this test process's own event loop (busy producing to Kafka meanwhile).
  const pollLog = path.join(d.mode.dir, 'healthz-times.txt');
  const poller = spawn(
    'bash',
    ['-c', `while :; do curl -s -o /dev/null -w '%{http_code} %{time_total}\\n' --max-time 1 ${api}/healthz; sleep 0.05; done`],
    { stdio: ['ignore', openSync(pollLog, 'w'), 'ignore'] },
  );
  try {
    await produceAll(d.mode, records);
    // The firing change reaches the receiver: the matcher ran against the key and returned.
    const until = Date.now() + 120_000;
    while (!readJsonLines(d.mode, 'alerts').some((l) => l.key === key && l.status === 'firing')) {
      if (Date.now() > until) throw new Error(`no firing alert for the pathological key within 120 s:\n${w.tail()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    // Grouping, delivery and the API match labels too: keep asking while they run.
    await new Promise((r) => setTimeout(r, 3000));
  } finally {
    poller.kill();
  }
  const polls = readFileSync(pollLog, 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(' '));
  const failures = polls.filter(([code]) => code !== '200').map(([code, t]) => `HTTP ${code} after ${t} s`);
  const slow = polls
    .filter(([code, t]) => code === '200' && Number(t) * 1000 >= HEALTH_BOUND_MS)
    .map(([, t]) => `${Math.round(Number(t) * 1000)} ms`);
  expect({ failures, slow, polls: polls.length >= 20 }).toEqual({ failures: [], slow: [], polls: true });
  // The silence matched the other key: nothing was notified for it.
  expect(readJsonLines(d.mode, 'alerts').filter((l) => l.key === silencedKey)).toEqual([]);

  const stopped = await w.terminate(SHUTDOWN_BOUND_MS * 4);
  expect({ code: stopped.code, withinBound: stopped.ms <= SHUTDOWN_BOUND_MS }).toEqual({ code: 0, withinBound: true });
});
