/**
 * The duty console in a real browser (playwright-core driving Debian's chromium) against a real
 * worker started as a user starts one (`flowwatch run` from the built package; simulator source,
 * memory alert store, the API on a free port). Screenshots of the board and the card at 1440×900
 * and 1920×1080 land in docs/console/. Without chromium (`apt-get install -y chromium`; .ci/run
 * installs it) every test fails saying so.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

const ROOT = path.join(__dirname, '..', '..');
const SHOTS = path.join(ROOT, 'docs', 'console');
const TOKEN = 'console-browser-test-0123456789abcdef';
const NAME = 'Dana Duty';
// Two teams: riverside owns the route of Riverside's gates, station-ops the rest (docs/console.md, "Who sees what").
const RIVER_TOKEN = 'riverside-user-token-0123456789abcdef';
const OPS_TOKEN = 'station-ops-user-token-0123456789abcdef';

const CONFIG = (port: number) => `
alerting:
  api:
    listen: "127.0.0.1:${port}"
    users:
      - { name: rita, token_env: FW_TEST_RIVER_TOKEN, teams: [riverside] }
      - { name: omar, token_env: FW_TEST_OPS_TOKEN, teams: [station-ops] }
    teams:
      - { name: riverside, receivers: [riverside-console] }
      - { name: station-ops, receivers: [console] }
    # The test's browser plays the proxy: it sends X-Forwarded-User from 127.0.0.1.
    trusted_proxy: { from: [127.0.0.1, "::1"], users: [{ name: pia, teams: [riverside] }] }
route:
  receiver: console
  group_by: [stream, detector]
  routes:
    - { receiver: riverside-console, matchers: ['key=~"riverside-.*"'] }
streams:
  people:
    source: { type: simulator }
    mapping:
      format: json
      key: gate_id
      time: { field: time, format: iso }
      measurements: [entries, exits]
      attributes: [station, gate]
    lateness: 2m
    detectors:
      - { name: crowd-surge, type: ewma, measurement: entries, robust: true, alpha: 0.1, k: 5, direction: up, for: 2m, severity: critical,
          labels: { team: station-ops }, summary: 'Gate {attr.gate} at {attr.station}: {value} entries/min, {deviation}σ above the usual {baseline}' }
      # Stays firing once the morning rush crosses it (clear_above 0): alerts the test can act on.
      - { name: busy-gate, type: threshold, measurement: entries, above: 40, clear_above: 0, severity: warning,
          labels: { team: station-ops }, summary: 'Gate {attr.gate} at {attr.station}: {value} entries/min, above the limit {limit}' }
receivers:
  - type: console
  - { type: console, name: riverside-console }
`;

function chromiumPath(): string {
  const found = process.env.FW_CHROMIUM ?? spawnSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).stdout.trim();
  if (!found)
    throw new Error('chromium is not installed: the console browser tests need it (apt-get install -y chromium; .ci/run does this)');
  return found;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms: number, every = 100): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined && v !== null && (v as unknown) !== false) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

let worker: ChildProcess;
let base: string;
let browser: Browser;
let page: Page;
let stderr = '';

const request = async (method: string, p: string, body?: unknown, token = TOKEN): Promise<{ status: number; json: any }> => {
  const res = await fetch(base + p, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, json: await res.json() };
};
const api = async (method: string, p: string, body?: unknown, token = TOKEN): Promise<any> => (await request(method, p, body, token)).json;
const alerts = async (): Promise<any[]> => (await api('GET', '/api/alerts')).alerts;

/** The worker's config file (the card's backtest command names it). */
let configFile = '';

async function signIn(p: Page, token = TOKEN, name = NAME): Promise<void> {
  await p.goto(`${base}/console`);
  await p.fill('#token', token);
  await p.fill('#whoami', name);
  await p.click('#login-form button[type=submit]');
  await p.waitForSelector('#conn.live', { timeout: 20_000 });
}

beforeAll(async () => {
  const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
  expect(build.status).toBe(0);
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const dir = mkdtempSync(path.join(tmpdir(), 'fw-console-'));
  configFile = path.join(dir, 'cfg.yaml');
  writeFileSync(configFile, CONFIG(port));
  worker = spawn(
    process.execPath,
    [path.join(ROOT, 'bin', 'flowwatch.js'), 'run', '--config', path.join(dir, 'cfg.yaml'), '--telemetry', 'off', '--speed', '240'],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        FLOWWATCH_API_TOKEN: TOKEN,
        FW_TEST_RIVER_TOKEN: RIVER_TOKEN,
        FW_TEST_OPS_TOKEN: OPS_TOKEN,
        FLOWWATCH_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  worker.stderr!.on('data', (c) => (stderr += String(c)));
  // Generous: on a loaded 2-core box the setup once failed every test, a slow worker start the likely step.
  await until('the worker API (/healthz)', async () => (await fetch(`${base}/healthz`)).ok || undefined, 90_000, 200);
  browser = await chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await signIn(page);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  worker?.kill('SIGTERM');
  if (stderr.trim()) console.log(`worker stderr:\n${stderr.slice(-2000)}`);
});

describe('duty console in chromium', () => {
  let target: any;

  it('shows an alert on the board within 2 s of it reaching the store', async () => {
    const known = new Set((await alerts()).map((a) => a.fingerprint));
    // The API is polled every 100 ms: the first answer holding a new alert is (within 100 ms) when it reached the store.
    const fresh = await until('a new firing alert in the API', async () => (await alerts()).find((a) => !known.has(a.fingerprint)), 60_000);
    const seen = Date.now();
    await page.waitForSelector(`button.alert[data-fp="${fresh.fingerprint}"]`, { timeout: 2000 });
    const latency = Date.now() - seen;
    console.log(`alert ${fresh.fingerprint} on the board ${latency} ms after the API first showed it`);
    expect(latency).toBeLessThan(2000);
    await expect(page.textContent('#counts')).resolves.toMatch(/\d+ firing/);
    // It came after this user first looked: marked new until seen.
    await page.waitForSelector(`button.alert[data-fp="${fresh.fingerprint}"] .mark.new`, { timeout: 1000 });
    await page.click('#mark-seen');
    expect(await page.locator('.mark.new').count()).toBe(0);
  }, 90_000);

  it('opens the card with the evidence numbers and a chart', async () => {
    target = await until(
      'a firing busy-gate alert',
      async () => (await alerts()).find((a) => a.detector === 'busy-gate' && !a.ack),
      60_000,
    );
    await page.waitForSelector(`button.alert[data-fp="${target.fingerprint}"]`, { timeout: 2000 });
    await page.screenshot({ path: path.join(SHOTS, 'board-1440x900.png') });
    await page.click(`button.alert[data-fp="${target.fingerprint}"]`);
    await expect(page.textContent('#card-h')).resolves.toBe(target.summary);
    await expect(page.textContent('#card td[data-ev="value"]')).resolves.toBe(String(target.evidence.value));
    await expect(page.textContent('#card td[data-ev="baseline"]')).resolves.toBe(String(target.evidence.baseline));
    await expect(page.textContent('#card td[data-ev="limit"]')).resolves.toBe(String(target.evidence.limit));
    await expect(page.textContent('#card td[data-ev="deviation"]')).resolves.toBe(`${target.evidence.deviation} ${target.evidence.unit}`);
    expect(await page.locator('#card svg.chart circle.value').count()).toBe(1);
    expect(await page.textContent('#card .labels')).toContain(target.key);
    await expect(page.textContent('#card .states')).resolves.toContain('firing at');
    await page.screenshot({ path: path.join(SHOTS, 'card-1440x900.png') });
    // No InfluxDB sink here: the stored evidence's chart, and the replay command for the key
    await page.click('#card details.replay summary');
    const replay = await page.textContent('#card details.replay pre');
    expect(replay).toContain(`/api/alerts/${encodeURIComponent(target.id)}/series.csv`);
    expect(replay).toContain(`flowwatch backtest -c ${configFile} --stream people --measurement ${target.evidence.measure} -i `);
    await page.click('#card details.replay summary');
  }, 90_000);

  it('acknowledges with a name and comment: the API has it, and a second session shows it', async () => {
    await page.fill('#ack-form input[name=by]', NAME);
    await page.fill('#ack-form input[name=comment]', 'stewards sent to the gate');
    await page.click('#ack-form button[type=submit]');
    const acked = await until(
      'the ack in the API',
      async () => (await alerts()).find((a) => a.fingerprint === target.fingerprint && a.ack),
      5000,
    );
    expect(acked.ack).toMatchObject({ by: NAME, comment: 'stewards sent to the gate' });
    await page.waitForSelector(`button.alert[data-fp="${target.fingerprint}"] .mark.ack`, { timeout: 2000 });
    await expect(page.textContent('#card .ack-info')).resolves.toContain(NAME);
    const other = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await signIn(other);
    await other.waitForSelector(`button.alert[data-fp="${target.fingerprint}"] .mark.ack`, { timeout: 2000 });
    await other.close();
  }, 30_000);

  it('silences with a preview of what it mutes, then expires the silence', async () => {
    const matchers = ['stream="people"', 'detector="busy-gate"'];
    await expect(page.inputValue('#silence-form textarea')).resolves.toBe(matchers.join('\n'));
    expect(await page.isDisabled('#silence-form button[name=save]')).toBe(true);
    await page.click('#silence-form button[name=preview]');
    await page.waitForSelector('#silence-form .preview-count');
    const listed = await page.locator('#silence-form .preview li').allTextContents();
    expect(listed.some((t) => t.includes(target.summary))).toBe(true);
    expect(listed.every((t) => t.startsWith('warning:'))).toBe(true); // busy-gate only, no crowd-surge
    await page.fill('#silence-form input[name=comment]', 'rush hour, known');
    await page.click('#silence-form button[name=save]');
    const silence = await until(
      'the silence in the API',
      async () => (await api('GET', '/api/silences')).silences.find((s: any) => s.createdBy === NAME && s.state === 'active'),
      5000,
    );
    expect(silence.matchers).toEqual(matchers);
    const muted = await until(
      'the alert muted by it',
      async () => (await alerts()).find((a) => a.fingerprint === target.fingerprint && a.mutedBy),
      5000,
    );
    expect(muted.mutedBy).toBe(`silence:${silence.id}`);
    await page.waitForSelector(`button.alert[data-fp="${target.fingerprint}"] .mark.muted`, { timeout: 2000 });
    await page.waitForSelector(`#card .touching li`, { timeout: 2000 });
    await page.screenshot({ path: path.join(SHOTS, 'card-silenced-1440x900.png') });

    await page.click(`#silences tr[data-silence="${silence.id}"] button.expire`);
    await until(
      'the silence expired in the API',
      async () => !(await api('GET', '/api/silences')).silences.some((s: any) => s.id === silence.id && s.state !== 'expired') || undefined,
      5000,
    );
    await page.waitForSelector(`#silences tr[data-silence="${silence.id}"]`, { state: 'detached', timeout: 2000 });
  }, 30_000);

  it('the wall screen (1920×1080): board and card', async () => {
    const wall = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    await signIn(wall);
    await wall.waitForSelector('button.alert', { timeout: 2000 });
    await wall.screenshot({ path: path.join(SHOTS, 'board-1920x1080.png') });
    await wall.click(`button.alert[data-fp="${target.fingerprint}"]`);
    await wall.waitForSelector('#card-h');
    await wall.screenshot({ path: path.join(SHOTS, 'card-1920x1080.png') });
    await wall.close();
  }, 30_000);

  it('axe-core finds no serious or critical accessibility violation on the board with a card open', async () => {
    // axe is injected as a script, which the console's CSP forbids: this one context bypasses it.
    const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 }, bypassCSP: true });
    const p = await ctx.newPage();
    await signIn(p);
    await p.click(`button.alert[data-fp="${target.fingerprint}"]`);
    await p.waitForSelector('#card-h');
    await p.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
    const result = await p.evaluate(async () => (globalThis as any).axe.run((globalThis as any).document, { resultTypes: ['violations'] }));
    const serious = result.violations.filter((v: any) => v.impact === 'serious' || v.impact === 'critical');
    for (const v of serious) console.log(`${v.impact}: ${v.id}: ${v.help} (${v.nodes.length} nodes: ${v.nodes[0]?.target})`);
    expect(serious.map((v: any) => v.id)).toEqual([]);
    await ctx.close();
  }, 30_000);
});

describe('teams on the console', () => {
  const isRiver = (a: any) => a.key.startsWith('riverside-');
  let theirs: any;

  it('a user of team riverside sees only its alerts on the board, and the API refuses it the other team’s', async () => {
    const all = await until(
      'firing alerts of both teams',
      async () => {
        const got = await alerts();
        return got.some(isRiver) && got.some((a) => !isRiver(a)) ? got : undefined;
      },
      60_000,
    );
    theirs = all.find((a) => !isRiver(a));
    const p = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await signIn(p, RIVER_TOKEN, 'Rita River');
    await p.waitForSelector(`button.alert[data-fp="${all.find(isRiver).fingerprint}"]`, { timeout: 2000 });
    await new Promise((r) => setTimeout(r, 1200)); // a feed tick or two: nothing of the other team arrives later either
    const shown = await p.locator('button.alert').evaluateAll((bs) => bs.map((b) => b.getAttribute('data-fp')));
    expect(shown.length).toBeGreaterThan(0);
    expect(shown.every((fp) => fp!.includes('/riverside-'))).toBe(true);
    expect(shown).not.toContain(theirs.fingerprint);
    await expect(p.textContent('#whois')).resolves.toContain('rita · team riverside');
    // Only a session token sits in the tab, never the API token.
    const stored = await p.evaluate(() => JSON.stringify(Object.entries((globalThis as any).sessionStorage)));
    expect(stored).not.toContain(RIVER_TOKEN);
    expect(stored).toContain('fws_');
    await p.close();

    expect((await api('GET', '/api/alerts', undefined, RIVER_TOKEN)).alerts.every(isRiver)).toBe(true);
    for (const [path, body] of [
      [`/api/alerts/${theirs.id}/ack`, { by: 'Rita' }],
      [`/api/alerts/${theirs.id}/comments`, { text: 'mine now' }],
      [`/api/alerts/${theirs.id}/hand-on`, { to: 'riverside' }],
    ] as const)
      expect((await request('POST', path, body, RIVER_TOKEN)).status).toBe(404);
    const silence = await request(
      'POST',
      '/api/silences',
      { matchers: [`key="${theirs.key}"`], duration: '1h', createdBy: 'Rita' },
      RIVER_TOKEN,
    );
    expect(silence.status).toBe(403);
  }, 90_000);

  it('comments and hands an alert on: the API and a second session (the other team) show owner, note and trail', async () => {
    const mine = (await api('GET', '/api/alerts', undefined, RIVER_TOKEN)).alerts.find((a: any) => isRiver(a) && !a.owner);
    const p = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await signIn(p, RIVER_TOKEN, 'Rita River');
    await p.click(`button.alert[data-fp="${mine.fingerprint}"]`);
    await p.fill('#comment-form input[name=text]', 'platform 2 crowded, stewards on the way');
    await p.click('#comment-form button[type=submit]');
    await p.waitForSelector('#card .timeline li[data-action="comment"]', { timeout: 2000 });
    await p.selectOption('#handon-form select[name=to]', 'station-ops');
    await p.fill('#handon-form input[name=note]', 'needs the station-ops crowd plan');
    await p.click('#handon-form button[type=submit]');
    await p.waitForSelector(`button.alert[data-fp="${mine.fingerprint}"] .mark.owner`, { timeout: 2000 });
    await p.waitForSelector('#card .timeline li[data-action="hand-on"]', { timeout: 2000 });
    await p.screenshot({ path: path.join(SHOTS, 'card-handed-on-1440x900.png') });
    await p.close();

    const asOps = (await api('GET', '/api/alerts', undefined, OPS_TOKEN)).alerts.find((a: any) => a.fingerprint === mine.fingerprint);
    expect(asOps.owner).toMatchObject({ team: 'station-ops', by: 'Rita River', user: 'rita', note: 'needs the station-ops crowd plan' });
    const trail = (await api('GET', '/api/audit', undefined, OPS_TOKEN)).entries.filter(
      (e: any) => e.fingerprint === mine.fingerprint && e.action !== 'ack',
    );
    expect(trail.map((e: any) => [e.action, e.user, e.by, e.text])).toEqual([
      ['comment', 'rita', 'Rita River', 'platform 2 crowded, stewards on the way'],
      ['hand-on', 'rita', 'Rita River', 'needs the station-ops crowd plan'],
    ]);

    const ops = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await signIn(ops, OPS_TOKEN, 'Omar Ops');
    await ops.click(`button.alert[data-fp="${mine.fingerprint}"] .mark.owner`);
    await expect(ops.textContent('#card .owner-info')).resolves.toContain('Handed on to station-ops by Rita River');
    const items = await ops.locator('#card .timeline li').allTextContents();
    expect(items.some((t) => t.includes('commented') && t.includes('platform 2 crowded'))).toBe(true);
    expect(items.some((t) => t.includes('handed on to station-ops') && t.includes('needs the station-ops crowd plan'))).toBe(true);
    expect(await ops.locator(`button.alert[data-fp="${theirs.fingerprint}"]`).count()).toBe(1);
    await ops.close();
  }, 60_000);
});

describe('sign-in by a trusted reverse proxy', () => {
  it('signs the page in as the user the proxy names, with that user’s teams, without a token', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 }, extraHTTPHeaders: { 'X-Forwarded-User': 'pia' } });
    try {
      const p = await ctx.newPage();
      await p.goto(`${base}/console`);
      await p.waitForSelector('#conn.live', { timeout: 20_000 });
      await expect(p.textContent('#whois')).resolves.toContain('pia · team riverside');
      expect(await p.isHidden('#login')).toBe(true);
      await p.waitForSelector('button.alert', { timeout: 5000 });
      const shown = await p.locator('button.alert').evaluateAll((bs) => bs.map((b) => b.getAttribute('data-fp')));
      expect(shown.length).toBeGreaterThan(0);
      expect(shown.every((fp) => fp!.includes('/riverside-'))).toBe(true);
    } finally {
      await ctx.close();
    }
    // Without the header the page asks for a token, as before.
    const plain = await browser.newPage();
    await plain.goto(`${base}/console`);
    await plain.waitForSelector('#login:not([hidden])', { timeout: 5000 });
    await plain.close();
  }, 60_000);
});

describe('console security headers', () => {
  it('serves the page with a CSP without inline script, nosniff and no framing; the feed needs the token', async () => {
    const res = await fetch(`${base}/console`);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(await res.text()).not.toMatch(/<script>(?!<)/); // scripts only by src
    expect((await fetch(`${base}/api/console/events`)).status).toBe(401);
  });
});
