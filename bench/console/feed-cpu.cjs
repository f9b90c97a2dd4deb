#!/usr/bin/env node
/* global fetch, AbortController */
/**
 * What open console boards cost the worker (docs/console.md, "Measured"): `flowwatch run` on the
 * simulator at a fixed speed, with a flapping threshold detector so that alert changes come by the
 * hundreds per second, once with no board open and once with `boards` SSE clients on
 * /api/console/events (reading every message). The worker's CPU (utime + stime from
 * /proc/<pid>/stat) and its events and alert changes (from /metrics) are read after a warm-up and
 * `seconds` later. `npm run build` first, then
 * `node bench/console/feed-cpu.cjs [seconds] [boards] [scale] [speed] [rounds]`.
 */
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const net = require('node:net');

const SECONDS = Number(process.argv[2] ?? 30);
const BOARDS = Number(process.argv[3] ?? 5);
const SCALE = Number(process.argv[4] ?? 12);
const SPEED = Number(process.argv[5] ?? 600);
const ROUNDS = Number(process.argv[6] ?? 2);
const TOKEN = 'console-bench-token-0123456789abcdef';
const ROOT = path.join(__dirname, '..', '..');
/** Extra node flags for the worker, e.g. FW_BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to see where its time goes. */
const NODE_ARGS = (process.env.FW_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);

const config = (port) => `
simulator: { scale: ${SCALE}, speed: ${SPEED}, seed: 7 }
alerting:
  api: { listen: "127.0.0.1:${port}" }
  flap: { threshold: 0 }
route:
  receiver: jsonl
  group_by: [stream, detector]
streams:
  people:
    mapping:
      format: json
      key: gate_id
      time: { field: time, format: iso }
      measurements: [entries, exits]
      attributes: [station, gate]
      derive: { odd: 'entries - 2 * floor(entries / 2)' }
    lateness: 2m
    detectors:
      # Fires on odd entry counts, resolves on even ones: about one alert change per two events.
      - { name: odd, type: threshold, measurement: odd, above: 0.5, severity: warning, summary: 'Gate {attr.gate}: {value}' }
receivers:
  - { type: jsonl, name: jsonl, path: ${JSON.stringify(path.join(os.tmpdir(), 'fw-feed-cpu.jsonl'))} }
`;

const freePort = () =>
  new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const ticks = (pid) => {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(rest[11]) + Number(rest[12]);
};
async function counters(base) {
  const text = await (await fetch(`${base}/metrics`)).text();
  const sum = (name) =>
    text
      .split('\n')
      .filter((l) => l.startsWith(name))
      .reduce((s, l) => s + Number(l.split(' ').pop()), 0);
  return { events: sum('flowwatch_events_total'), changes: sum('flowwatch_alert_changes_total') };
}

/** An open board: reads the SSE stream to its end, counting bytes. */
function board(base, stop, got) {
  return fetch(`${base}/api/console/events`, { headers: { authorization: `Bearer ${TOKEN}` }, signal: stop })
    .then(async (res) => {
      for await (const chunk of res.body) got.bytes += chunk.length;
    })
    .catch(() => {});
}

async function once(boards) {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fw-feed-cpu-'));
  fs.writeFileSync(path.join(dir, 'cfg.yaml'), config(port));
  const worker = spawn(
    process.execPath,
    [...NODE_ARGS, path.join(ROOT, 'bin', 'flowwatch.js'), 'run', '--config', path.join(dir, 'cfg.yaml'), '--telemetry', 'off'],
    {
      env: { ...process.env, FLOWWATCH_API_TOKEN: TOKEN, FLOWWATCH_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  worker.stderr.on('data', (c) => (stderr += String(c)));
  const exited = new Promise((r) => worker.once('exit', r));
  void exited.then(() => worker.killed || console.error(`the worker stopped: ${stderr.slice(-2000)}`));
  try {
    for (let i = 0; i < 100; i++) {
      if (
        await fetch(`${base}/healthz`).then(
          (r) => r.ok,
          () => false,
        )
      )
        break;
      await sleep(200);
    }
    const ctrl = new AbortController();
    const got = { bytes: 0 };
    for (let i = 0; i < boards; i++) void board(base, ctrl.signal, got);
    await sleep(5000); // warm-up: JIT, the first alerts, the boards' snapshots
    const [c0, t0, w0] = [await counters(base), ticks(worker.pid), Date.now()];
    await sleep(SECONDS * 1000);
    const [c1, t1, w1] = [await counters(base), ticks(worker.pid), Date.now()];
    ctrl.abort();
    const events = c1.events - c0.events;
    const changes = c1.changes - c0.changes;
    const cpuMs = (t1 - t0) * 10;
    const active = (await (await fetch(`${base}/api/alerts`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()).alerts.length;
    return {
      boards,
      eventsPerSecond: Math.round(events / ((w1 - w0) / 1000)),
      alertChangesPerSecond: Math.round(changes / ((w1 - w0) / 1000)),
      firingAtEnd: active,
      workerCpuPercent: Math.round((cpuMs / (w1 - w0)) * 1000) / 10,
      cpuMicrosPerEvent: Math.round((cpuMs * 1000) / events),
      feedBytesPerBoardPerSecond: boards ? Math.round(got.bytes / boards / (SECONDS + 5)) : 0,
    };
  } finally {
    worker.kill('SIGTERM');
    await exited;
  }
}

(async () => {
  const runs = [];
  for (let r = 0; r < ROUNDS; r++) for (const b of [0, BOARDS]) runs.push(await once(b));
  console.log(JSON.stringify({ seconds: SECONDS, scale: SCALE, speed: SPEED, runs }, null, 2));
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
