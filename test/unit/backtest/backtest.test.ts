/**
 * The backtest end to end: a small directory through the `backtest` command (commander parsing,
 * the pipeline, output CSVs mirroring the tree, labels, report), causality, and bad input.
 */
import { Command } from 'commander';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { registerBacktest } from '../../../cli/commands/backtest';
import { runBacktest, type BacktestIO } from '../../../backtest/backtest';
import { silentLogger } from '../../../kernel/logger';
import { Rng } from '../../../ingest/simulator/random';
import { formatTimestamp } from '../../corpus/generate';

const MIN5 = 300_000;
const T0 = Date.UTC(2014, 3, 1);

/** A noisy daily series at 5-minute steps with a level shift at `shiftAt` (row). */
function seriesCsv(rows: number, seed: number, shiftAt = -1): string {
  const rng = new Rng(seed);
  let out = 'timestamp,value\n';
  for (let i = 0; i < rows; i++) {
    const v = 50 + 20 * Math.sin((2 * Math.PI * i) / 288) + rng.normal() * 2 + (shiftAt >= 0 && i >= shiftAt ? 15 : 0);
    out += `${formatTimestamp(T0 + i * MIN5)},${v.toFixed(3)}\n`;
  }
  return out;
}

function capture(): BacktestIO & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { log: silentLogger(), out: (l) => void stdout.push(l), err: (l) => void stderr.push(l), stdout, stderr };
}

const readRows = (file: string) => readFileSync(file, 'utf8').trim().split('\n');

describe('flowwatch backtest over a directory', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fw-backtest-'));
  const input = path.join(dir, 'in');
  mkdirSync(path.join(input, 'servers'), { recursive: true });
  writeFileSync(path.join(input, 'a.csv'), seriesCsv(1500, 1, 1200));
  writeFileSync(path.join(input, 'servers', 'b.csv'), seriesCsv(1200, 2));
  const jsonl = Array.from({ length: 400 }, (_, i) =>
    JSON.stringify({ timestamp: new Date(T0 + i * 60_000).toISOString(), value: 5 + (i % 7) * 0.1 + (i === 350 ? 9 : 0) }),
  ).join('\n');
  writeFileSync(path.join(input, 'servers', 'c.jsonl'), jsonl + '\n');
  const labels = path.join(dir, 'labels.json');
  writeFileSync(
    labels,
    JSON.stringify({ 'a.csv': [[formatTimestamp(T0 + 1150 * MIN5), formatTimestamp(T0 + 1250 * MIN5)]], 'servers/b.csv': [] }, null, 1),
  );

  it('writes one output CSV per input (same rows, same order), prints the scores, and renders the report', async () => {
    const out = path.join(dir, 'out');
    const report = path.join(dir, 'report.html');
    const stdout: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => (stdout.push(String(s)), true));
    try {
      const program = new Command().exitOverride();
      registerBacktest(program);
      await program.parseAsync(['backtest', '--input', input, '--out', out, '--labels', labels, '--report', report], { from: 'user' });
    } finally {
      spy.mockRestore();
    }
    expect(process.exitCode ?? 0).toBe(0);
    for (const [rel, inRows] of [
      ['a.csv', 1500],
      ['servers/b.csv', 1200],
      ['servers/c.csv', 400],
    ] as const) {
      const rows = readRows(path.join(out, rel));
      expect(rows[0]).toBe('timestamp,value,anomaly_score,alert');
      expect(rows.length).toBe(inRows + 1);
      for (const r of rows.slice(1)) expect(r).toMatch(/^[^,]+,[-\d.e]+,(0|0\.\d{6}|1\.000000),[01]$/);
    }
    const a = readRows(path.join(out, 'a.csv'));
    const src = readRows(path.join(input, 'a.csv'));
    expect(a.slice(1).map((r) => r.split(',').slice(0, 2).join(','))).toEqual(src.slice(1));
    // The level shift at row 1200 fires an alert soon after.
    const firstAlert = a.slice(1).findIndex((r) => r.endsWith(',1'));
    expect(firstAlert).toBeGreaterThanOrEqual(1200);
    expect(firstAlert).toBeLessThan(1215);
    const text = stdout.join('');
    expect(text).toMatch(/backtest: 3 files, 3,100 rows .* 0 failed/);
    expect(text).toMatch(/labels: 1 windows in 2 files \(1 file without labels not scored\)/);
    expect(text).toMatch(/alerts: \d+ .*recall 1\.000 \(1\/1 windows\)/);
    expect(text).toMatch(/NAB score \(standard profile, best single threshold over all files\): \d+\.\d/);
    const html = readFileSync(report, 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('servers/b.csv');
    expect(html).toMatch(/class="onset"/);
    expect(html).not.toMatch(/<script|https?:\/\//); // self-contained
  });

  it('is causal: cutting the file after row i changes nothing before it', async () => {
    const full = seriesCsv(1500, 7, 1000);
    const lines = full.trim().split('\n');
    const scoresOf = async (text: string, name: string) => {
      const f = path.join(dir, name);
      writeFileSync(f, text);
      await runBacktest({ input: f, out: path.join(dir, `${name}.out.csv`) }, capture());
      return readRows(path.join(dir, `${name}.out.csv`));
    };
    const whole = await scoresOf(full, 'whole.csv');
    for (const cut of [400, 1001, 1210]) {
      const part = await scoresOf(lines.slice(0, cut + 1).join('\n') + '\n', `cut-${cut}.csv`);
      expect(part).toEqual(whole.slice(0, cut + 1));
    }
  });
});

describe('flowwatch backtest on bad input', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fw-backtest-bad-'));
  const input = path.join(dir, 'in');
  mkdirSync(input, { recursive: true });
  const good = seriesCsv(300, 3);
  const put = (name: string, text: string) => writeFileSync(path.join(input, name), text);
  put('good.csv', good);
  put('no-value.csv', 'timestamp,amount\n2014-04-01 00:00:00,1\n');
  put('bad-time.csv', 'timestamp,value\n2014-04-01 00:00:00,1\n2014-04-01 00:05:00,2\nyesterday,3\n');
  put('bad-value.csv', 'timestamp,value\n2014-04-01 00:00:00,1\n2014-04-01 00:05:00,abc\n');
  put('empty.csv', '');
  put('unsorted.csv', 'timestamp,value\n2014-04-01 00:10:00,1\n2014-04-01 00:05:00,2\n');
  put('duplicate.csv', 'timestamp,value\n2014-04-01 00:00:00,1\n2014-04-01 00:05:00,2\n2014-04-01 00:05:00,3\n');
  put('bad.jsonl', '{"timestamp": "2014-04-01T00:00:00Z", "value": 1}\n{"timestamp": "2014-04-01T00:01:00Z", "value": "NaN"}\nnot json\n');
  const labels = path.join(dir, 'labels.json');
  writeFileSync(labels, '{\n "good.csv": [],\n "missing.csv": [["2014-04-01 00:00:00", "2014-04-01 01:00:00"]]\n}\n');

  it('names file and line for every problem, still processes the good files, and exits 1', async () => {
    const io = capture();
    const out = path.join(dir, 'out');
    const r = await runBacktest({ input, out, labels }, io);
    const err = io.stderr.join('\n');
    expect(err).toContain('no-value.csv:1: missing column "value": expected a header "timestamp,value", got "timestamp,amount"');
    expect(err).toContain('bad-time.csv:4: timestamp: expected an ISO 8601 time like "2026-11-27T08:00:00Z", got "yesterday"');
    expect(err).toContain('bad-value.csv:3: value "abc" is not a finite number');
    expect(err).toMatch(/empty\.csv:1: empty file/);
    // Quirks of real history are judged as a live stream would judge them, not refused (quirks.test.ts).
    expect(err).toContain('unsorted.csv: 1 late row dropped (more than 2m behind the latest time)');
    expect(err).toContain('duplicate.csv: 1 duplicate timestamp judged');
    expect(err).toContain('bad.jsonl:2: value "NaN" is not a finite number');
    expect(err).toContain('bad.jsonl:3: not valid JSON');
    expect(err).toContain(`${labels}:3: labels name "missing.csv", which is not an input file`);
    expect(r.failed).toBe(5);
    expect(r.exitCode).toBe(1);
    expect(readRows(path.join(out, 'good.csv')).length).toBe(301);
    expect(readRows(path.join(out, 'unsorted.csv'))).toEqual([
      'timestamp,value,anomaly_score,alert',
      '2014-04-01 00:10:00,1,0,0',
      '2014-04-01 00:05:00,2,0,0',
    ]);
    expect(readRows(path.join(out, 'duplicate.csv')).length).toBe(4);
    for (const f of ['no-value.csv', 'bad-time.csv', 'bad-value.csv', 'empty.csv', 'bad.csv'])
      expect(existsSync(path.join(out, f))).toBe(false);
    expect(io.stdout.join('\n')).toMatch(/8 files, 305 rows .* 5 failed/);
  });

  it('rejects an unusable invocation with one clear message', async () => {
    await expect(runBacktest({ input: path.join(dir, 'nope'), out: path.join(dir, 'o') }, capture())).rejects.toThrow(
      /--input .*nope: no such file or directory/,
    );
  });
});
