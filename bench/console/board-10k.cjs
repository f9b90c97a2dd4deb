#!/usr/bin/env node
/* global window, document, requestAnimationFrame, PerformanceObserver */
/**
 * The duty console with 10,000 firing alerts (docs/console.md, "Measured"): a memory alert store
 * filled with 10k firing alerts, the API served from this process, Debian's chromium driven by
 * playwright-core. Measures time from "Sign in" to the board drawn, a filter's response (input →
 * board redrawn → next frame), and — while 1,000 alert changes/s go into the store — the feed's
 * latency and the page's longest main-thread stall. A script, not a test: `npm run build` first,
 * then `node bench/console/board-10k.cjs [alerts] [changes-per-second] [seconds]`.
 */
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const { chromium } = require('playwright-core');
const dist = (p) => require(path.join(__dirname, '..', '..', 'dist', p));
const { AlertingPipeline } = dist('alerts/alerting.js');
const { MemoryAlertStore } = dist('alerts/store/memory.js');
const { ALERTING_DEFAULTS } = dist('alerts/config.js');
const { alertId } = dist('alerts/identity.js');
const { ApiServer } = dist('api/server.js');
const { silentLogger } = dist('kernel/logger.js');
const { systemClock } = dist('kernel/clock.js');

const N = Number(process.argv[2] ?? 10_000);
const RATE = Number(process.argv[3] ?? 1000);
const SECONDS = Number(process.argv[4] ?? 10);
const TOKEN = 'console-bench-token-0123456789abcdef';
const STREAMS = ['people', 'goods', 'funds'];
const SEVERITIES = ['critical', 'warning', 'info'];

function alert(i, startsAt, status = 'firing') {
  const stream = STREAMS[i % 3];
  const detector = ['surge', 'drop', 'deadman', 'busy'][i % 4];
  const key = `k-${String(i).padStart(5, '0')}`;
  const fingerprint = `${stream}/${detector}/${key}`;
  const severity = SEVERITIES[i % 7 === 0 ? 0 : i % 3 === 0 ? 2 : 1];
  return {
    id: alertId(fingerprint, status, startsAt),
    fingerprint,
    status,
    stream,
    key,
    detector,
    severity,
    labels: { stream, key, detector, severity, team: `team-${i % 5}`, zone: `zone-${i % 40}` },
    startsAt,
    ...(status === 'resolved' ? { endsAt: startsAt + 1 } : {}),
    score: 0.9,
    summary: `${key} on ${stream}: ${detector} ${412 + (i % 97)} against a usual 130`,
    evidence: { measure: 'entries', value: 412 + (i % 97), baseline: 130, deviation: 4.8, unit: 'sigma', limit: 3 },
  };
}

const frame = (page) => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))));

async function main() {
  const chromiumPath = process.env.FW_CHROMIUM ?? spawnSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).stdout.trim();
  const p = new AlertingPipeline({
    store: new MemoryAlertStore(systemClock),
    receivers: [{ name: 'null', notify: async () => {} }],
    route: { receiver: 'null', matchers: [], continue: false, routes: [], group_by: ['stream', 'detector'] },
    config: { ...ALERTING_DEFAULTS, flap: { ...ALERTING_DEFAULTS.flap, threshold: 0 } },
    clock: systemClock,
    log: silentLogger(),
  });
  const t0 = Date.now() - 3_600_000;
  for (let i = 0; i < N; i += 1000) await p.dispatch(Array.from({ length: Math.min(1000, N - i) }, (_, j) => alert(i + j, t0 + i + j)));
  const api = new ApiServer({ alerting: p, token: TOKEN, log: silentLogger() });
  const { port } = await api.listen('127.0.0.1', 0);
  const base = `http://127.0.0.1:${port}`;
  const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const out = {};
  try {
    await page.goto(`${base}/console`);
    await page.fill('#token', TOKEN);
    await page.fill('#whoami', 'Bench');
    const t = Date.now();
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('#counts .chip.total .n', { timeout: 30_000 });
    await page.waitForFunction((n) => document.querySelector('#counts .chip.total .n')?.textContent === String(n), N, { timeout: 30_000 });
    await frame(page);
    out.firstRenderMs = Date.now() - t;
    out.rowsInDom = await page.locator('button.alert').count();
    out.filterMs = [];
    for (const text of ['k-0042', 'zone-7', '', 'funds']) {
      const s = Date.now();
      await page.fill('#f-text', text);
      await frame(page);
      out.filterMs.push(Date.now() - s);
    }
    await page.fill('#f-text', '');
    await frame(page);
    await live(page, p, out, t0);
  } finally {
    await browser.close();
    await api.close();
  }
  console.log(JSON.stringify({ alerts: N, changesPerSecond: RATE, seconds: SECONDS, ...out }, null, 2));
}

/** RATE alert changes/s for SECONDS (alerts resolving and firing again, in batches every 100 ms), the page watched meanwhile. */
async function live(page, p, out, t0) {
  await page.evaluate(() => {
    window.__stalls = [];
    new PerformanceObserver((l) => l.getEntries().forEach((e) => window.__stalls.push(e.duration))).observe({ entryTypes: ['longtask'] });
  });
  const perBatch = Math.round(RATE / 10);
  let changes = 0;
  let cursor = 0;
  const end = Date.now() + SECONDS * 1000;
  const filterDuring = [];
  while (Date.now() < end) {
    const s = Date.now();
    const batch = [];
    for (let j = 0; j < perBatch / 2; j++) {
      const i = cursor++ % N;
      const a = alert(i, t0 + i);
      batch.push({ ...a, id: alertId(a.fingerprint, 'resolved', a.startsAt), status: 'resolved', endsAt: s });
      batch.push(alert(i, s + j)); // fires again: a new episode
    }
    await p.dispatch(batch);
    changes += batch.length;
    if (changes % (perBatch * 20) === 0) {
      const f = Date.now();
      await page.fill('#f-text', f % 2 ? 'zone-3' : '');
      await frame(page);
      filterDuring.push(Date.now() - f);
    }
    await new Promise((r) => setTimeout(r, Math.max(0, 100 - (Date.now() - s))));
  }
  const stalls = await page.evaluate(() => window.__stalls);
  out.live = {
    changesSent: changes,
    achievedPerSecond: Math.round(changes / SECONDS),
    longTasks: stalls.length,
    longestTaskMs: Math.round(Math.max(0, ...stalls)),
    mainThreadBusyMs: Math.round(stalls.reduce((a, b) => a + b, 0)),
    filterDuringMs: filterDuring,
  };
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
