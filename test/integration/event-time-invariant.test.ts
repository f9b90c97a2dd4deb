/**
 * One answer per input (issue 13): the same recorded stream gives the identical set of alert
 * changes — fingerprint, status, startsAt, endsAt — however it is processed:
 *   (a) paced: produced at a steady pace while the worker keeps up (many small batches);
 *   (b) backlog: everything produced first, then the worker starts (few large batches);
 *   (c) replayed by `flowwatch backtest --alerts` from a file of the same records;
 *   (d) a `kill -9` of the worker mid-way and a restart (state in Redis);
 *   (e) three workers in one consumer group, with two rebalances mid-way (a third joins, one leaves).
 * And the lagging-consumer scenario on its own (second describe): paced vs backlog, event time
 * 20–80 minutes behind the clock.
 *
 * The recording (test/support/recorded-stream.ts) covers an hour of event time that starts 80
 * minutes before the test (so it is 20–80 minutes behind the clock throughout) at an unaligned time
 * (hh:mm:13.456), with an anomaly planted for every detector type of
 * test/fixtures/event-time/streams.yaml.
 *
 * What is compared, and why not everything: only changes at or before a cutoff 10 minutes before
 * the end of the recording (a firing change by its startsAt, a resolved one by its endsAt). Each
 * partition's watermark stops at its last record − lateness; a timer later than that (a window
 * that would drain, a key's silence, a `for` that would complete) fires only by the idle rule:
 * once a partition has had no record for idle_timeout, its watermark moves with the wall clock —
 * so those changes depend on when the worker ran and how long it stayed up after the input ended,
 * and the backtest (no clock) judges them at the end of its input instead. The cutoff leaves room
 * for lateness (2m), the longest `for` (2m) and the gaps between a partition's last records.
 *
 * What cannot be identical, by design: deadman on a partition that falls silent as a whole. There
 * is no event time to measure that silence by — only the clock, through the idle rule — so when it
 * fires depends on processing time, and a replay or a lagging worker sees it elsewhere. In this
 * recording that happens only after the end (every key stops at once), beyond the cutoff; the
 * planted silence is one gate among others that keep reporting on its partition, so it is measured
 * in event time and must be identical. Changes after the cutoff are counted in the table, not compared.
 *
 * Modes run one after the other (each its own topics, consumer group and Redis prefix); the tests
 * per mode only collect and check the harness (every record applied, nothing dead-lettered,
 * workers stopping cleanly), and the comparison is its own test, so a failure says which it is.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import Redis from 'ioredis';
import { parse } from 'yaml';
import { backtestLines, recordStream, unalignedStart, type Planted, type Recording } from '../support/recorded-stream';
import {
  appliedRecords,
  changeKey,
  changeTime,
  alertsFile,
  createModeTopics,
  dropModes,
  killAllWorkers,
  newMode,
  produceAll,
  producePaced,
  readJsonLines,
  runCli,
  toChange,
  waitForApplied,
  waitForDelivery,
  waitForGroup,
  Worker,
  writeBacktestConfig,
  writeWorkerConfig,
  type AlertChange,
  type Mode,
} from '../support/workers';

jest.setTimeout(120_000);

const ROOT = path.join(__dirname, '..', '..');
const MIN = 60_000;
const PARTITIONS = 4;
/** Changes later than this before the end of the recording are not compared (see the header). */
const CUTOFF_BEFORE_END = 10 * MIN;
const FIXTURE = parse(readFileSync(path.join(ROOT, 'test/fixtures/event-time/streams.yaml'), 'utf8')) as {
  streams: Record<string, { detectors: Array<{ name: string; type: string }> } & Record<string, unknown>>;
};
/** Detector name → type, from the fixture. */
const TYPE_OF = new Map(Object.values(FIXTURE.streams).flatMap((s) => s.detectors.map((d) => [d.name, d.type] as const)));
const TYPES = [...new Set(TYPE_OF.values())].sort();

interface ModeResult {
  wallMs: number;
  /** Every distinct change the mode produced, before the cutoff is applied. */
  changes: AlertChange[];
  notes: string;
}

let redis: Redis;
let root: string;
/** Every mode's topics and Redis keys are dropped at the end. */
const modes: Mode[] = [];
function openMode(name: string): Mode {
  const m = newMode(name, root);
  modes.push(m);
  return m;
}

beforeAll(() => {
  const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
  expect(build.status).toBe(0);
  redis = new Redis(process.env.REDIS_URL!);
  root = mkdtempSync(path.join(tmpdir(), 'fw-event-time-'));
}, 180_000);

afterAll(async () => {
  await killAllWorkers();
  if (redis) {
    await dropModes(redis, modes);
    await redis.quit();
  }
});

// ---- modes -------------------------------------------------------------------------------------

/** The distinct changes the mode's workers delivered; no record may have been dead-lettered. */
function collect(mode: Mode): AlertChange[] {
  const dead = readJsonLines(mode, 'dead-letter');
  expect(dead.map((d) => `${d.reason}: ${d.detail}`).slice(0, 5)).toEqual([]);
  return distinct(readJsonLines(mode, 'alerts').map(toChange));
}

function distinct(changes: AlertChange[]): AlertChange[] {
  return [...new Map(changes.map((c) => [changeKey(c), c])).values()];
}

/** Every record applied, every change delivered; then the workers stop (SIGTERM, exit 0). */
async function finish(mode: Mode, rec: Recording, workers: Worker[]): Promise<void> {
  await waitForApplied(redis, mode, PARTITIONS, rec.records.length);
  // Exactly the recording is in Kafka (offsets per partition = its records): nothing written twice.
  expect(await appliedRecords(redis, mode, PARTITIONS)).toBe(rec.records.length);
  await waitForDelivery(redis, mode);
  for (const w of workers) await w.stop();
}

async function backlog(name: string, rec: Recording): Promise<ModeResult> {
  const t0 = Date.now();
  const mode = openMode(name);
  await createModeTopics(mode, PARTITIONS);
  await produceAll(mode, rec.records);
  const w = new Worker(mode, 'w1', writeWorkerConfig(mode, FIXTURE, 'w1'));
  await finish(mode, rec, [w]);
  return { wallMs: Date.now() - t0, changes: collect(mode), notes: 'all produced, then 1 worker' };
}

async function paced(name: string, rec: Recording, paceMs: number): Promise<ModeResult> {
  const t0 = Date.now();
  const mode = openMode(name);
  await createModeTopics(mode, PARTITIONS);
  const w = new Worker(mode, 'w1', writeWorkerConfig(mode, FIXTURE, 'w1'));
  await waitForGroup(mode, 1);
  await producePaced(mode, rec.records, paceMs);
  await finish(mode, rec, [w]);
  return {
    wallMs: Date.now() - t0,
    changes: collect(mode),
    notes: `${Math.round(rec.records.length / (paceMs / 1000))} records/s while 1 worker keeps up`,
  };
}

/** Paced, with the worker killed (-9) once ~45 % is applied and restarted at once. */
async function killed(name: string, rec: Recording, paceMs: number): Promise<ModeResult> {
  const t0 = Date.now();
  const total = rec.records.length;
  const mode = openMode(name);
  await createModeTopics(mode, PARTITIONS);
  const first = new Worker(mode, 'w1', writeWorkerConfig(mode, FIXTURE, 'w1'));
  await waitForGroup(mode, 1);
  const producing = producePaced(mode, rec.records, paceMs);
  await waitForApplied(redis, mode, PARTITIONS, Math.round(total * 0.45));
  await first.kill();
  const atKill = await appliedRecords(redis, mode, PARTITIONS);
  expect(atKill).toBeLessThan(total); // really killed mid-way
  const second = new Worker(mode, 'w2', writeWorkerConfig(mode, FIXTURE, 'w2'));
  await producing;
  await finish(mode, rec, [second]);
  return { wallMs: Date.now() - t0, changes: collect(mode), notes: `kill -9 at ${atKill}/${total} applied, restarted` };
}

/** Paced into a group of 2 workers; a 3rd joins at ~30 %, the 1st leaves (SIGTERM) at ~65 %. */
async function rebalanced(name: string, rec: Recording, paceMs: number): Promise<ModeResult> {
  const t0 = Date.now();
  const total = rec.records.length;
  const mode = openMode(name);
  await createModeTopics(mode, PARTITIONS);
  const [w1, w2] = ['w1', 'w2'].map((n) => new Worker(mode, n, writeWorkerConfig(mode, FIXTURE, n)));
  await waitForGroup(mode, 2);
  const producing = producePaced(mode, rec.records, paceMs);
  await waitForApplied(redis, mode, PARTITIONS, Math.round(total * 0.3));
  const w3 = new Worker(mode, 'w3', writeWorkerConfig(mode, FIXTURE, 'w3'));
  await waitForGroup(mode, 3);
  const atJoin = await appliedRecords(redis, mode, PARTITIONS);
  await waitForApplied(redis, mode, PARTITIONS, Math.max(atJoin + 1, Math.round(total * 0.65)));
  await w1.stop();
  await waitForGroup(mode, 2);
  const atLeave = await appliedRecords(redis, mode, PARTITIONS);
  // Both rebalances really happened mid-way: partitions moved with records still to come.
  expect(atJoin).toBeLessThan(total);
  expect(atLeave).toBeLessThan(total);
  await producing;
  await finish(mode, rec, [w2, w3]);
  return { wallMs: Date.now() - t0, changes: collect(mode), notes: `3rd joined at ${atJoin}, 1st left at ${atLeave} of ${total}` };
}

/** The same records from a file, {"stream", "payload"} per line, through `flowwatch backtest --alerts`. */
async function backtest(name: string, rec: Recording): Promise<ModeResult> {
  const t0 = Date.now();
  const mode = openMode(name);
  const input = path.join(mode.dir, 'recording.jsonl');
  writeFileSync(input, backtestLines(rec));
  const r = await runCli([
    'backtest',
    '--input',
    input,
    '--out',
    path.join(mode.dir, 'out.csv'),
    '--config',
    writeBacktestConfig(mode, FIXTURE),
    '--alerts',
    alertsFile(mode, 'backtest'),
  ]);
  if (r.code !== 0) throw new Error(`flowwatch backtest --alerts exited with ${r.code}:\n${r.stderr.slice(-2000)}`);
  return { wallMs: Date.now() - t0, changes: collect(mode), notes: `${rec.records.length} records from a file` };
}

// ---- comparison --------------------------------------------------------------------------------

const upTo = (changes: readonly AlertChange[], cutoff: number) => changes.filter((c) => changeTime(c) <= cutoff);

function describeChange(c: AlertChange, rec: Recording): string {
  const t = (ms: number) => `${new Date(ms).toISOString().slice(11, 23)} (+${((ms - rec.start) / MIN).toFixed(2)}m)`;
  return `${c.status.padEnd(8)} ${c.fingerprint} startsAt ${t(c.startsAt)}${c.endsAt !== undefined ? ` endsAt ${t(c.endsAt)}` : ''}`;
}

/** What each mode has that the reference lacks, and the reverse (first lines of each). */
function differences(
  results: ReadonlyMap<string, ModeResult>,
  reference: string,
  rec: Recording,
  cutoff: number,
): Record<string, { missing: string[]; extra: string[] }> {
  const ref = results.get(reference)!;
  const refKeys = new Set(upTo(ref.changes, cutoff).map(changeKey));
  const out: Record<string, { missing: string[]; extra: string[] }> = {};
  const lines = (list: AlertChange[]) => {
    const sorted = list
      .sort((x, y) => changeTime(x) - changeTime(y) || changeKey(x).localeCompare(changeKey(y)))
      .map((c) => describeChange(c, rec));
    return sorted.length > 12 ? [...sorted.slice(0, 12), `… ${sorted.length - 12} more`] : sorted;
  };
  for (const [name, r] of results) {
    if (name === reference) continue;
    const mine = upTo(r.changes, cutoff);
    const keys = new Set(mine.map(changeKey));
    const missing = upTo(ref.changes, cutoff).filter((c) => !keys.has(changeKey(c)));
    const extra = mine.filter((c) => !refKeys.has(changeKey(c)));
    if (missing.length > 0 || extra.length > 0) out[name] = { missing: lines(missing), extra: lines(extra) };
  }
  return out;
}

/** Per mode: wall time, changes compared (firing/resolved) and by detector type, changes past the cutoff. */
function table(results: ReadonlyMap<string, ModeResult>, cutoff: number): string {
  const head = ['mode', 'wall s', 'compared f/r', ...TYPES, 'after cutoff', 'notes'];
  const rows = [...results].map(([name, r]) => {
    const cmp = upTo(r.changes, cutoff);
    const fr = (list: AlertChange[]) =>
      `${list.filter((c) => c.status === 'firing').length}/${list.filter((c) => c.status === 'resolved').length}`;
    return [
      name,
      (r.wallMs / 1000).toFixed(1),
      fr(cmp),
      ...TYPES.map((t) => fr(cmp.filter((c) => TYPE_OF.get(c.detector) === t))),
      String(r.changes.length - cmp.length),
      r.notes,
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  return [head, ...rows].map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ')).join('\n');
}

/**
 * Non-trivial: every planted anomaly fires near where it was planted and that episode resolves
 * before the cutoff — so an empty or degenerate set cannot pass the comparison.
 */
function undetected(changes: readonly AlertChange[], planted: readonly Planted[], cutoff: number): string[] {
  const cmp = upTo(changes, cutoff);
  const out: string[] = [];
  for (const p of planted) {
    const fingerprint = `${p.stream}/${p.detector}/${p.key}`;
    const fired = cmp.find(
      (c) => c.fingerprint === fingerprint && c.status === 'firing' && c.startsAt >= p.from - 2 * MIN && c.startsAt <= p.to + 6 * MIN,
    );
    const resolved = fired && cmp.find((c) => c.fingerprint === fingerprint && c.status === 'resolved' && c.startsAt === fired.startsAt);
    if (!fired || !resolved) out.push(`${fingerprint} (${p.what}): ${fired ? 'fired, never resolved' : 'never fired'}`);
  }
  return out;
}

function checkInvariant(
  results: ReadonlyMap<string, ModeResult>,
  expected: readonly string[],
  reference: string,
  rec: Recording,
  title: string,
): void {
  const cutoff = rec.end - CUTOFF_BEFORE_END;
  console.log(
    `${title}: ${rec.records.length} records from ${new Date(rec.start).toISOString()} to ${new Date(rec.end).toISOString()}, ` +
      `compared up to ${new Date(cutoff).toISOString()}; configs, worker logs and alert files in ${root}\n${table(results, cutoff)}`,
  );
  // One assertion, so a mode that did not run and the differences among those that did show together.
  const notRun = expected.filter((m) => !results.has(m));
  const diff = results.has(reference) ? differences(results, reference, rec, cutoff) : { [reference]: 'the reference mode did not run' };
  expect({ notRun, differences: diff }).toEqual({ notRun: [], differences: {} });
}

// ---- tests -------------------------------------------------------------------------------------

describe('one answer per input: paced, backlog, backtest, kill -9, rebalance give the same alert changes', () => {
  let rec: Recording;
  const results = new Map<string, ModeResult>();
  // The backlog runs first and is the reference: any mode could be, since all must be equal.
  const MODES = ['(b) backlog', '(a) paced', '(c) backtest', '(d) kill -9', '(e) 3 workers'];

  beforeAll(() => {
    rec = recordStream({ seed: 13, start: unalignedStart(Date.now(), 80) });
  });

  it('the recording plants an anomaly for every detector type of the config', () => {
    expect([...new Set(rec.planted.map((p) => TYPE_OF.get(p.detector)))].sort()).toEqual(TYPES);
    expect(TYPES).toEqual(['deadman', 'distinct', 'ewma', 'expression', 'rate', 'threshold', 'univariate', 'zscore']);
    expect(rec.records.length).toBeGreaterThan(3000);
  });

  it('(b) backlog', async () => {
    results.set('(b) backlog', await backlog('backlog', rec));
  });
  it('(a) paced', async () => {
    results.set('(a) paced', await paced('paced', rec, 25_000));
  });
  it('(c) backtest', async () => {
    results.set('(c) backtest', await backtest('backtest', rec));
  });
  it('(d) kill -9 mid-way and restart', async () => {
    results.set('(d) kill -9', await killed('kill', rec, 20_000));
  });
  it('(e) 3 workers, rebalanced mid-way', async () => {
    results.set('(e) 3 workers', await rebalanced('rebalance', rec, 24_000));
  });

  it('every mode gives the identical set of alert changes', () => {
    checkInvariant(results, MODES, '(b) backlog', rec, 'one answer per input');
  });

  it('the set is not trivial: every planted anomaly fires and resolves before the cutoff', () => {
    const ref = results.get('(b) backlog');
    expect(ref).toBeDefined();
    expect(undetected(ref!.changes, rec.planted, rec.end - CUTOFF_BEFORE_END)).toEqual([]);
  });
});

describe('lagging consumer: event time 20–80 minutes behind, paced or as a backlog, gives the same alert changes', () => {
  let rec: Recording;
  const results = new Map<string, ModeResult>();

  beforeAll(() => {
    rec = recordStream({ seed: 29, start: unalignedStart(Date.now(), 80), gates: 8, containers: 4, accounts: 20 });
  });

  it('paced and backlog', async () => {
    results.set('paced', await paced('lag-paced', rec, 10_000));
    results.set('backlog', await backlog('lag-backlog', rec));
  });

  it('gives the identical set of alert changes, with every planted anomaly detected', () => {
    checkInvariant(results, ['paced', 'backlog'], 'backlog', rec, 'lagging consumer');
    expect(undetected(results.get('backlog')!.changes, rec.planted, rec.end - CUTOFF_BEFORE_END)).toEqual([]);
  });
});
