/**
 * Issue 14 part 5: a silence whose regex backtracks catastrophically in a JS engine
 * (`key=~"(a+)+$"`) meets a label value from input data (`aaaa…a!`). Matching runs on RE2 now, so
 * the event loop stays free: /healthz answers in < 100 ms throughout, the alert (not silenced: the
 * value ends in '!') reaches the receiver, and SIGTERM exits within the bound.
 */
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
    const ok = await fetch(`${api}/healthz`, { signal: AbortSignal.timeout(1000) }).then((r) => r.ok, () => false);
    if (ok) break;
    if (!w.running || Date.now() > deadline) throw new Error(`the worker's API never answered on ${api}:\n${w.tail()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const created = await fetch(`${api}/api/silences`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ matchers: ['key=~"(a+)+$"'], duration: '1h', createdBy: 'drill', comment: 'issue 14: catastrophic backtracking' }),
  });
  expect(created.status).toBe(201);

  // A container whose id is 40 'a's and a '!' runs 6 °C over its setpoint for 10 minutes of event time:
  // temperature-excursion fires, and the silence's regex is tried against that key.
  const key = 'a'.repeat(40) + '!';
  const t0 = Date.now() - 15 * 60_000;
  const records: RecordedRecord[] = [];
  for (let i = 0; i < 24; i++) {
    const ts = t0 + i * 30_000;
    records.push({ stream: 'goods', key, partition: 0, ts, payload: { container_id: key, truck_id: 'TRK-01', ts, temp_c: 10.5, setpoint_c: 4, door_open: false, speed_kmh: 50, in_transit: true } });
  }

  const latencies: number[] = [];
  const failures: string[] = [];
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const s = Date.now();
      try {
        const r = await fetch(`${api}/healthz`, { signal: AbortSignal.timeout(5 * HEALTH_BOUND_MS) });
        if (!r.ok) failures.push(`HTTP ${r.status}`);
      } catch (err) {
        failures.push(String(err));
      }
      latencies.push(Date.now() - s);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  try {
    await produceAll(d.mode, records);
    // The firing change reaches the receiver: the matcher ran against the key and returned.
    const until = Date.now() + 120_000;
    while (!readJsonLines(d.mode, 'alerts').some((l) => l.key === key && l.status === 'firing')) {
      if (Date.now() > until) throw new Error(`no firing alert for the pathological key within 120 s:\n${w.tail()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    polling = false;
    await poller;
  }
  const slow = latencies.filter((ms) => ms >= HEALTH_BOUND_MS);
  expect({ failures, slow, polls: latencies.length > 5 }).toEqual({ failures: [], slow: [], polls: true });

  const stopped = await w.terminate(SHUTDOWN_BOUND_MS * 4);
  expect({ code: stopped.code, withinBound: stopped.ms <= SHUTDOWN_BOUND_MS }).toEqual({ code: 0, withinBound: true });
});
