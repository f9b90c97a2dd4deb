/**
 * The backtest as a replay of a live stream: raw `{"stream", "payload"}` records judged by the
 * config stream they name (several streams, one pipeline), event time passing after every row
 * (quiet keys' windows drain, silence fires), and `--alerts`: every alert state change in order.
 */
import { Command } from 'commander';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { registerBacktest } from '../../../cli/commands/backtest';
import { runBacktest, type BacktestIO } from '../../../backtest/backtest';
import type { AlertDispatcher } from '../../../alerts/dispatch';
import { loadConfigFile } from '../../../config/load';
import { ManualClock } from '../../../kernel/clock';
import { silentLogger } from '../../../kernel/logger';
import { runPipeline } from '../../../worker/runner';
import type { Alert, RawRecord } from '../../../kernel/types';
import { MemoryDeadLetter } from '../../../ingest/dead-letter';
import { FlowSimulator } from '../../../ingest/simulator';
import type { SourceBatch } from '../../../ingest/sources/types';
import { MemoryStateStore } from '../../../state/memory-store';

const MIN = 60_000;
/** Not on a minute or pane boundary. */
const T0 = Date.UTC(2026, 0, 5, 8, 0, 7);
const EXAMPLE = path.join(__dirname, '../../../examples/kafka.yaml');
const CHANGE_FIELDS = ['id', 'fingerprint', 'status', 'stream', 'key', 'detector', 'severity', 'startsAt', 'summary'];

function capture(): BacktestIO & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { log: silentLogger(), out: (l) => void stdout.push(l), err: (l) => void stderr.push(l), stdout, stderr };
}

const readJsonl = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
const readRows = (file: string) =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(','));

/** Two accounts: A pays every 3 minutes and falls silent after 9; B pays every 3 minutes for an hour, with a burst of 8 at minute 30. */
function payments(): Array<{ stream: string; payload: { account: string; ts: number; amount: number } }> {
  const out: Array<{ account: string; ts: number; amount: number }> = [];
  for (let m = 0; m <= 9; m += 3) out.push({ account: 'A', ts: T0 + m * MIN, amount: 10 });
  for (let m = 0; m <= 60; m += 3) out.push({ account: 'B', ts: T0 + m * MIN + 500, amount: 20 });
  for (let k = 1; k <= 8; k++) out.push({ account: 'B', ts: T0 + 30 * MIN + k * 5_000, amount: 30 });
  return out.sort((a, b) => a.ts - b.ts).map((payload) => ({ stream: 'pay', payload }));
}

const PAY_CONFIG = `
streams:
  pay:
    source: { type: file, path: unused.jsonl }
    mapping:
      format: json
      key: account
      time: { field: ts, format: epoch_ms }
      measurements: [amount]
    lateness: 30s
    detectors:
      - { name: silence, type: deadman, timeout: 5m }
      - { name: burst, type: rate, window: 10m, above: 5 }
`;

describe('flowwatch backtest --alerts and raw records', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fw-backtest-streams-'));
  const config = path.join(dir, 'pay.yaml');
  writeFileSync(config, PAY_CONFIG);

  it('writes every alert change in the order it happened, time passing included, and the alert column follows it', async () => {
    const recs = payments();
    const input = path.join(dir, 'pay.jsonl');
    writeFileSync(input, recs.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const alerts = path.join(dir, 'pay-changes.jsonl');
    const io = capture();
    const r = await runBacktest({ input, out: path.join(dir, 'pay.csv'), config, alerts }, io);
    expect(r.exitCode).toBe(0);
    expect(r.alertChanges).toBe(3);
    expect(io.stdout).toContain(`alert changes: 3 written to ${alerts}`);
    const changes = readJsonl(alerts);
    // A's silence is noticed when B's payments move the stream's watermark past it (before B's burst), not at the end.
    expect(changes.map((c) => `${c.fingerprint} ${c.status}`)).toEqual([
      'pay/silence/A firing',
      'pay/burst/B firing',
      'pay/burst/B resolved',
    ]);
    for (const c of changes)
      expect(Object.keys(c)).toEqual(c.status === 'resolved' ? [...CHANGE_FIELDS.slice(0, 8), 'endsAt', 'summary'] : CHANGE_FIELDS);
    const [silence, fired, resolved] = changes as Array<{ startsAt: number; endsAt?: number; id: string; severity: string }>;
    expect(silence.startsAt).toBeGreaterThan(T0 + 14 * MIN); // A's last payment at minute 9, plus the 5m timeout
    expect(silence.startsAt).toBeLessThanOrEqual(T0 + 15 * MIN);
    expect(fired.startsAt).toBeGreaterThan(T0 + 30 * MIN);
    expect(fired.startsAt).toBeLessThan(T0 + 31 * MIN);
    expect(resolved.startsAt).toBe(fired.startsAt);
    expect(resolved.endsAt).toBeGreaterThan(T0 + 39 * MIN); // the burst leaves the 10-minute window
    expect(resolved.endsAt).toBeLessThan(T0 + 43 * MIN);
    expect(resolved.id).not.toBe(fired.id);
    // One output row per record; B's rows carry B's alert (A's silence is A's), set while the burst fires.
    const rows = readRows(path.join(dir, 'pay.csv'));
    expect(rows.length).toBe(recs.length);
    recs.forEach((rec, i) => {
      const firingNow = rec.payload.account === 'B' && rec.payload.ts >= fired.startsAt && rec.payload.ts < resolved.endsAt!;
      expect([i, rows[i][0], rows[i][3]]).toEqual([i, new Date(rec.payload.ts).toISOString(), firingNow ? '1' : '0']);
    });
  });

  it('with a directory input, one --alerts file for all, each change naming its file', async () => {
    const input = path.join(dir, 'tree');
    mkdirSync(path.join(input, 'day1'), { recursive: true });
    writeFileSync(
      path.join(input, 'day1', 'pay.jsonl'),
      payments()
        .map((r) => JSON.stringify(r))
        .join('\n') + '\n',
    );
    writeFileSync(
      path.join(input, 'quiet.jsonl'),
      payments()
        .slice(0, 3)
        .map((r) => JSON.stringify(r))
        .join('\n') + '\n',
    );
    const alerts = path.join(dir, 'tree-changes.jsonl');
    const r = await runBacktest({ input, out: path.join(dir, 'tree-out'), config, alerts }, capture());
    expect(r.exitCode).toBe(0);
    const changes = readJsonl(alerts);
    expect(changes.map((c) => `${c.file} ${c.fingerprint} ${c.status}`)).toEqual([
      'day1/pay.jsonl pay/silence/A firing',
      'day1/pay.jsonl pay/burst/B firing',
      'day1/pay.jsonl pay/burst/B resolved',
    ]);
    expect(Object.keys(changes[0])[0]).toBe('file');
  });

  it("a recording of three streams is judged by each record's stream, in one pipeline, from the command line", async () => {
    // What `flowwatch simulate` writes, for the streams of examples/kafka.yaml.
    const sim = new FlowSimulator({ seed: 3, start: Date.UTC(2026, 0, 5, 6, 30), flows: ['people', 'goods', 'funds'] });
    const recs = sim.advance(Date.UTC(2026, 0, 5, 8, 30));
    const input = path.join(dir, 'recorded.jsonl');
    writeFileSync(input, recs.map((x) => JSON.stringify({ stream: x.stream, payload: x.payload })).join('\n') + '\n');
    const out = path.join(dir, 'recorded.csv');
    const alerts = path.join(dir, 'changes.jsonl');
    const stdout: string[] = [];
    const stderr: string[] = [];
    const outSpy = jest.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => (stdout.push(String(s)), true));
    const errSpy = jest.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => (stderr.push(String(s)), true));
    process.exitCode = undefined;
    try {
      const program = new Command().exitOverride();
      registerBacktest(program);
      await program.parseAsync(['backtest', '--input', input, '--config', EXAMPLE, '--out', out, '--alerts', alerts], { from: 'user' });
      expect(process.exitCode ?? 0).toBe(0);
    } finally {
      outSpy.mockRestore();
      errSpy.mockRestore();
      process.exitCode = undefined;
    }
    expect(stdout.join('')).toMatch(/profile: .*kafka\.yaml, streams people, goods, funds \(raw records by their "stream"\)/);
    expect(stderr.join('')).not.toMatch(/failed|:\d+: /);
    expect(readRows(out).length).toBe(recs.length);
    const changes = readJsonl(alerts);
    expect(new Set(recs.map((x) => x.stream))).toEqual(new Set(['people', 'goods', 'funds']));
    expect(new Set(changes.map((c) => c.stream)).size).toBeGreaterThanOrEqual(2);
    const open = new Map<string, number>();
    for (const c of changes) {
      expect(c.fingerprint).toBe(`${c.stream}/${c.detector}/${c.key}`);
      expect(typeof c.startsAt).toBe('number');
      if (c.status === 'firing') {
        expect(open.has(c.fingerprint as string)).toBe(false);
        expect(c.endsAt).toBeUndefined();
        open.set(c.fingerprint as string, c.startsAt as number);
      } else {
        // A resolution follows the firing it ends, with the same start.
        expect(c.status).toBe('resolved');
        expect(open.get(c.fingerprint as string)).toBe(c.startsAt);
        expect(c.endsAt as number).toBeGreaterThanOrEqual(c.startsAt as number);
        open.delete(c.fingerprint as string);
      }
    }
  });

  it('a recording gives the alert changes a worker gives reading it from Kafka partitions as a backlog', async () => {
    // Six hours of the three flows with their anomalies; live, each key's records go to one of 4 partitions of its stream.
    const start = Date.UTC(2026, 10, 23, 7, 7, 13, 456);
    const sim = new FlowSimulator({ seed: 7, start, anomalies: { perFlowPerDay: 48 } });
    const recs = sim.advance(start + 6 * 3_600_000).map((r) => ({ stream: r.stream, payload: r.payload as Record<string, unknown> }));
    const input = path.join(dir, 'six-hours.jsonl');
    writeFileSync(input, recs.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const alerts = path.join(dir, 'six-hours-changes.jsonl');
    const r = await runBacktest({ input, out: path.join(dir, 'six-hours.csv'), config: EXAMPLE, alerts }, capture());
    expect(r.exitCode).toBe(0);
    const replayed = readJsonl(alerts).map((c) => `${c.fingerprint} ${c.status} ${c.startsAt} ${c.endsAt ?? ''}`);
    const live = await backlogWorker(recs);
    expect(replayed.length).toBeGreaterThan(40);
    expect(new Set(replayed.map((c) => c.split('/')[0])).size).toBe(3);
    expect([...replayed].sort()).toEqual([...live].sort());
  });

  it('with several streams, series rows need --stream and raw records a stream of the config', async () => {
    const input = path.join(dir, 'mixed');
    mkdirSync(input, { recursive: true });
    writeFileSync(path.join(input, 'series.csv'), 'timestamp,value\n2026-01-05 08:00:00,1\n2026-01-05 08:01:00,2\n');
    writeFileSync(path.join(input, 'other.jsonl'), JSON.stringify({ stream: 'trains', payload: { id: 1 } }) + '\n');
    const io = capture();
    const r = await runBacktest({ input, out: path.join(dir, 'mixed-out'), config: EXAMPLE }, io);
    expect(r.exitCode).toBe(1);
    expect(r.failed).toBe(2);
    expect(io.stderr).toEqual([
      'other.jsonl:1: "stream": "trains" is not a stream of the config (it has people, goods, funds)',
      'other.jsonl: failed, no output written (other files go on)',
      expect.stringMatching(
        /^series\.csv:2: .*kafka\.yaml has 3 streams \(people, goods, funds\): choose the one that judges timestamp\/value rows with --stream/,
      ),
      'series.csv: failed, no output written (other files go on)',
    ]);
  });
});

/**
 * The worker's side (worker/runner.ts, memory store): each key on one of 4 partitions of its stream,
 * 2,000-record batches per partition taking turns, then a sweep of every partition so all due timers
 * fire; the alert changes as `fingerprint status startsAt endsAt`.
 */
async function backlogWorker(recs: ReadonlyArray<{ stream: string; payload: Record<string, unknown> }>): Promise<string[]> {
  const keyOf = (r: { stream: string; payload: Record<string, unknown> }) =>
    String(r.payload.gate_id ?? r.payload.container_id ?? r.payload.account);
  const byScope = new Map<string, RawRecord[]>();
  for (const r of recs) {
    let h = 7;
    for (const ch of keyOf(r)) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
    const scope = `${r.stream}-${h % 4}`;
    (byScope.get(scope) ?? byScope.set(scope, []).get(scope)!).push({ stream: r.stream, payload: r.payload });
  }
  const clock = new ManualClock(Date.UTC(2026, 10, 24));
  async function* batches(): AsyncIterable<SourceBatch> {
    for (let i = 0, more = true; more; i++) {
      more = false;
      for (const [scope, list] of byScope) {
        const records = list.slice(i * 2000, (i + 1) * 2000);
        if (records.length === 0) continue;
        more = true;
        clock.advance(5);
        yield { records, scope, position: i + 1 };
      }
    }
    clock.advance(2000);
    for (const scope of byScope.keys()) yield { records: [], scope };
  }
  const changes: string[] = [];
  const dispatcher = { dispatch: async () => undefined, close: async () => undefined } as unknown as AlertDispatcher;
  await runPipeline({
    config: loadConfigFile(EXAMPLE),
    sources: [{ name: 'recording', streams: ['people', 'goods', 'funds'], replay: false, batches }],
    dispatcher,
    deadLetter: new MemoryDeadLetter(),
    store: new MemoryStateStore(),
    log: silentLogger(),
    clock,
    signal: new AbortController().signal,
    idleTickMs: 0,
    onAlerts: (list: readonly Alert[]) => list.forEach((a) => changes.push(`${a.fingerprint} ${a.status} ${a.startsAt} ${a.endsAt ?? ''}`)),
  });
  return changes;
}
