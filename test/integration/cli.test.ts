/**
 * The CLI as a user runs it: the built binary (npm ci builds dist/ via `prepare`).
 * Uses simulated time (--speed max --sim-duration) so the demo's first hour runs in seconds.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'flowwatch.js');
const run = (args: string[], timeout = 60_000) =>
  spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout,
    env: { ...process.env, FLOWWATCH_LOG_LEVEL: 'warn' },
  });

beforeAll(() => {
  const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
  expect(build.status).toBe(0);
}, 120_000);

describe('flowwatch CLI', () => {
  it('run --json prints JSON alert lines for people, goods and funds within the first simulated hour', () => {
    const r = run(['run', '--seed', '1', '--json', '--speed', 'max', '--sim-duration', '1h']);
    expect(r.status).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    const streams = new Set(lines.filter((l) => l.status === 'firing').map((l) => l.stream));
    expect([...streams].sort()).toEqual(['funds', 'goods', 'people']);
    for (const l of lines) {
      for (const k of ['stream', 'key', 'detector', 'severity', 'status', 'startsAt', 'summary', 'evidence']) expect(l).toHaveProperty(k);
    }
    expect(r.stderr).toMatch(
      /flowwatch: stopped after .*: \d+ events \(people \d+, goods \d+, funds \d+\), \d+ alert notifications, 0 rejects/,
    );
  });

  it("the README's quick-start demo runs as written, without npx, and alerts on all three flows within its 30 s", () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const line = /```sh\n(npm ci && [^\n#]+)/.exec(readme)?.[1].trim();
    expect(line).toBe('npm ci && node bin/flowwatch.js run --duration 30s --seed 1');
    const r = run(line!.replace(/^npm ci && node bin\/flowwatch\.js /, '').split(/\s+/), 60_000);
    expect(r.status).toBe(0);
    const firing = r.stdout.split('\n').filter((l) => /FIRING/.test(l));
    for (const flow of ['people', 'goods', 'funds']) expect(firing.some((l) => l.includes(flow))).toBe(true);
    expect(r.stderr).toMatch(/flowwatch: stopped after (29|30)s[\dms]*: \d+ events .* 0 rejects/);
  }, 70_000);

  it('the same seed gives the same alerts', () => {
    const a = run(['run', '--seed', '7', '--json', '--speed', 'max', '--sim-duration', '30m']);
    const b = run(['run', '--seed', '7', '--json', '--speed', 'max', '--sim-duration', '30m']);
    expect(a.stdout).toBe(b.stdout);
  });

  it('validate accepts every example and rejects a broken config with one line per problem', () => {
    for (const f of ['people', 'goods', 'funds']) {
      const ok = run(['validate', '--config', `examples/${f}.yaml`]);
      expect(ok.status).toBe(0);
      expect(ok.stdout).toContain('OK');
    }
    const bad = run(['validate', '--config', 'config/testdata/bad/wrong-types.yaml']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('streams.funds.detectors[0].window: expected a duration like "5m", got "5 minutes"');
    expect(bad.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace for a user mistake
    const missing = run(['validate', '--config', 'nope.yaml']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('cannot read config nope.yaml: no such file');
  });

  it('run with a file source dead-letters malformed records and keeps going', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fw-cli-'));
    const data = path.join(dir, 'payments.jsonl');
    const t = Date.now();
    writeFileSync(
      data,
      [
        JSON.stringify({ account: 'A', amount: 10, ts: t }),
        '{"account": "A", "amount": ',
        JSON.stringify({ account: 'A', amount: 'NaN', ts: t + 1 }),
        JSON.stringify({ account: 'A', amount: 99999, ts: t + 2 }),
      ].join('\n') + '\n',
    );
    const cfg = path.join(dir, 'cfg.yaml');
    writeFileSync(
      cfg,
      `
streams:
  funds:
    source: { type: file, path: ${JSON.stringify(data)} }
    mapping: { key: account, time: { field: ts, format: epoch_ms }, measurements: [amount] }
    detectors:
      - { type: threshold, name: big, measurement: amount, above: 1000 }
dead_letter: { type: file, path: ${JSON.stringify(path.join(dir, 'dead.jsonl'))} }
`,
    );
    const r = run(['run', '--config', cfg, '--json']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('"detector":"big"');
    const dead = readFileSync(path.join(dir, 'dead.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(dead.map((d) => d.reason)).toEqual(['malformed', 'bad_value']);
    expect(dead[0].source).toBe(`${data}:2`);
    expect(r.stderr).toMatch(/2 events .*2 rejects \(malformed 1, bad_value 1\)/);
  });

  it('exit codes follow the one table: usage mistakes and bad configs 2, a taken port 2 with one clear line', () => {
    expect(run(['run', '--bogus']).status).toBe(2);
    expect(run(['nosuch']).status).toBe(2);
    expect(run(['validate']).status).toBe(2);
    expect(run(['detectors']).status).toBe(0);
    // The alerting API's port already taken: one line naming it and what to change, no stack.
    const server = createServer();
    return new Promise<void>((resolve, reject) => {
      server.listen(0, '127.0.0.1', () => {
        try {
          const port = (server.address() as AddressInfo).port;
          const dir = mkdtempSync(path.join(tmpdir(), 'fw-cli-'));
          const config = path.join(dir, 'api.yaml');
          writeFileSync(
            config,
            `alerting:\n  api: { listen: "127.0.0.1:${port}" }\n` + readFileSync(path.join(ROOT, 'examples', 'people.yaml'), 'utf8'),
          );
          const r = spawnSync(process.execPath, [BIN, 'run', '--config', config, '--duration', '5s', '--telemetry', 'off'], {
            cwd: ROOT,
            encoding: 'utf8',
            timeout: 30_000,
            env: { ...process.env, FLOWWATCH_API_TOKEN: 'cli-test-token-0123456789', FLOWWATCH_LOG_LEVEL: 'warn' },
          });
          expect(r.status).toBe(2);
          expect(r.stderr).toContain(`flowwatch: the alerting API cannot listen on 127.0.0.1:${port}: the address is in use`);
          expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
          resolve();
        } catch (err) {
          reject(err);
        } finally {
          server.close();
        }
      });
    });
  });

  it('every command has --help', () => {
    for (const c of [[], ['run'], ['validate'], ['simulate'], ['detectors']]) {
      const r = run([...c, '--help']);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/Usage: flowwatch/);
    }
  });
});
