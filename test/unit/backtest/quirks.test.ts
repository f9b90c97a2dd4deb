/**
 * Real-world history is judged, not refused: each quirk class of test/fixtures/backtest-quirks
 * goes through the backtest the way a live stream goes through admission. Per class: the file is
 * judged, every input row has its output row, the per-file note says what was done, and the
 * spike planted after the quirk is still found (at its row, with no alert before it).
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runBacktest, type BacktestIO } from '../../../backtest/backtest';
import { parseTimestamp } from '../../../backtest/input';
import { silentLogger } from '../../../kernel/logger';
import { fixtureCsv, quirkFixtures, type QuirkFixture } from '../../fixtures/backtest-quirks/generate';

const FIXTURES = path.join(__dirname, '../../fixtures/backtest-quirks');
const HOUR = 3_600_000;

function capture(): BacktestIO & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { log: silentLogger(), out: (l) => void stdout.push(l), err: (l) => void stderr.push(l), stdout, stderr };
}

interface OutRow {
  ts: string;
  value: string;
  score: number;
  alert: number;
}

interface Judged {
  exitCode: number;
  failed: number;
  rows: OutRow[];
  /** Lines on stderr (problems and the per-file note). */
  stderr: string[];
  changes: Array<Record<string, unknown>>;
}

const dir = mkdtempSync(path.join(tmpdir(), 'fw-quirks-'));
let runs = 0;

/** Backtests one CSV text with the default profile; output rows and alert changes. */
async function judge(name: string, csv: string): Promise<Judged> {
  const run = path.join(dir, `run-${runs++}`);
  mkdirSync(run);
  const input = path.join(run, name);
  writeFileSync(input, csv);
  const io = capture();
  const r = await runBacktest({ input, out: path.join(run, 'out.csv'), alerts: path.join(run, 'changes.jsonl') }, io);
  const rows = r.failed > 0 ? [] : readFileSync(path.join(run, 'out.csv'), 'utf8').trim().split('\n').slice(1).map(parseRow);
  const changes = readFileSync(path.join(run, 'changes.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { exitCode: r.exitCode, failed: r.failed, rows, stderr: io.stderr, changes };
}

function parseRow(line: string): OutRow {
  const [ts, value, score, alert] = line.split(',');
  return { ts, value, score: Number(score), alert: Number(alert) };
}

const fixture = (name: string): QuirkFixture => quirkFixtures().find((f) => f.name === name)!;
const epoch = (text: string) => parseTimestamp(text) as number;

/** Judged, one output row per input row with the input's own timestamp and value, the note as expected. */
function expectJudged(j: Judged, f: QuirkFixture, note: string | null): void {
  expect(j.failed).toBe(0);
  expect(j.exitCode).toBe(0);
  expect(j.rows.length).toBe(f.rows.length);
  expect(j.rows.map((r) => `${r.ts},${r.value}`)).toEqual(f.rows.map(([t, v]) => `${t},${v}`));
  expect(j.stderr).toEqual(note === null ? [] : [`${f.name}: ${note}`]);
}

/** The planted spike fires an alert on its own row, and nothing fired before it. */
function expectSpikeFound(j: Judged, f: QuirkFixture): void {
  expect(j.rows.findIndex((r) => r.alert === 1)).toBe(f.spike);
  expect(j.rows[f.spike].score).toBeGreaterThanOrEqual(0.5);
  const firing = j.changes.filter((c) => c.status === 'firing');
  expect(firing.length).toBe(1);
  // Alert times are the file's own, whatever clock the detectors were given.
  expect(firing[0].startsAt).toBe(epoch(f.rows[f.spike][0]));
}

describe('backtest on the quirks of real history', () => {
  it('the checked-in fixtures are what generate.ts writes', () => {
    for (const f of quirkFixtures()) expect(readFileSync(path.join(FIXTURES, f.name), 'utf8')).toBe(fixtureCsv(f.rows));
  });

  it('judges the whole corpus: exit code 0, one note per file that had a quirk, on stderr', async () => {
    const io = capture();
    const out = path.join(dir, 'corpus-out');
    const r = await runBacktest({ input: FIXTURES, out }, io);
    expect(r.failed).toBe(0);
    expect(r.exitCode).toBe(0);
    expect(io.stderr).toEqual([
      'clock-jump-back.csv: 1 late row dropped (more than 2m behind the latest time), 1 clock jump back of 1h at line 402 (lines 403–801 judged on a continued clock)',
      'dst-repeated-hour.csv: 1 late row dropped (more than 2m behind the latest time), 1 clock jump back of 1h at line 314 (lines 315–701 judged on a continued clock)',
      'duplicate-minutes.csv: 5 duplicate timestamps judged, 2 exact duplicates dropped',
      'gap-of-days.csv: 1 gap over 12 sampling intervals (longest 3d) judged as is',
      'out-of-order.csv: 20 out-of-order rows judged, 2 late rows dropped (more than 2m behind the latest time)',
    ]);
    for (const f of quirkFixtures()) expect(readFileSync(path.join(out, f.name), 'utf8').trim().split('\n').length).toBe(f.rows.length + 1);
  });

  it('duplicate minutes: both rows of a minute are judged; an exact duplicate is dropped and counts once', async () => {
    const f = fixture('duplicate-minutes.csv');
    const j = await judge(f.name, fixtureCsv(f.rows));
    expectJudged(j, f, '5 duplicate timestamps judged, 2 exact duplicates dropped');
    expectSpikeFound(j, f);
    const exact = f.at.filter((i) => f.rows[i] === f.rows[i - 1]);
    expect(exact.length).toBe(2);
    // A dropped row carries its key's latest verdict: the row it repeats.
    for (const i of exact) expect(j.rows[i]).toEqual(j.rows[i - 1]);
    // Without the repeated rows every other row is judged the same: the detector saw each row once.
    const without = await judge(f.name, fixtureCsv(f.rows.filter((_, i) => !exact.includes(i))));
    expect(without.rows).toEqual(j.rows.filter((_, i) => !exact.includes(i)));
  });

  it('a 1-hour clock jump back: judged on a continued clock, with the state learned before it', async () => {
    const f = fixture('clock-jump-back.csv');
    const jump = f.at[0];
    const j = await judge(f.name, fixtureCsv(f.rows));
    expectJudged(
      j,
      f,
      `1 late row dropped (more than 2m behind the latest time), 1 clock jump back of 1h at line ${jump + 2} (lines ${jump + 3}–${f.rows.length + 1} judged on a continued clock)`,
    );
    expectSpikeFound(j, f);
    // The jump's first row cannot be told from a straggler: it is dropped as late, with the latest verdict.
    expect(j.rows[jump]).toEqual({ ...j.rows[jump - 1], ts: f.rows[jump][0], value: String(f.rows[jump][1]) });
    // Every other row is judged exactly as on the true clock: the detectors kept what they had learned.
    const trueClock = f.rows
      .map(([t, v], i): [string, number] => [i >= jump ? stampOf(epoch(t) + HOUR) : t, v])
      .filter((_, i) => i !== jump);
    const truth = await judge(f.name, fixtureCsv(trueClock));
    expect(j.rows.filter((_, i) => i !== jump).map(scoreAndAlert)).toEqual(truth.rows.map(scoreAndAlert));
    // Still causal: cut right after the jump's first and second rows, the prefix is unchanged.
    for (const cut of [jump + 1, jump + 2]) {
      const part = await judge(f.name, fixtureCsv(f.rows.slice(0, cut)));
      expect(part.rows).toEqual(j.rows.slice(0, cut));
    }
  });

  it('a gap of days: judged as is and noted; the spike after it is found', async () => {
    const f = fixture('gap-of-days.csv');
    const j = await judge(f.name, fixtureCsv(f.rows));
    expectJudged(j, f, '1 gap over 12 sampling intervals (longest 3d) judged as is');
    expectSpikeFound(j, f);
  });

  it('irregular sampling: nothing to do, nothing noted; the spike is found', async () => {
    const f = fixture('irregular-sampling.csv');
    const j = await judge(f.name, fixtureCsv(f.rows));
    expectJudged(j, f, null);
    expectSpikeFound(j, f);
  });

  it('a DST-like repeated hour: the second 01:00–01:55 is judged an hour on, the output keeps local time', async () => {
    const f = fixture('dst-repeated-hour.csv');
    const repeat = f.at[0];
    expect(f.rows[repeat][0]).toBe(f.rows[repeat - 12][0]); // the same local time an hour of rows earlier
    const j = await judge(f.name, fixtureCsv(f.rows));
    expectJudged(
      j,
      f,
      `1 late row dropped (more than 2m behind the latest time), 1 clock jump back of 1h at line ${repeat + 2} (lines ${repeat + 3}–${f.rows.length + 1} judged on a continued clock)`,
    );
    expectSpikeFound(j, f);
  });

  it('out-of-order rows: within the lateness judged, beyond it dropped as late with the latest verdict', async () => {
    const f = fixture('out-of-order.csv');
    const j = await judge(f.name, fixtureCsv(f.rows));
    expectJudged(j, f, '20 out-of-order rows judged, 2 late rows dropped (more than 2m behind the latest time)');
    expectSpikeFound(j, f);
    expect(f.at.length).toBe(2);
    for (const i of f.at) {
      expect(j.rows[i].score).toBe(j.rows[i - 1].score);
      expect(j.rows[i].alert).toBe(j.rows[i - 1].alert);
    }
  });
});

function scoreAndAlert(r: OutRow): string {
  return `${r.score},${r.alert}`;
}

function stampOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}
