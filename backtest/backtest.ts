import { closeSync, existsSync, mkdirSync, openSync, statSync, writeFileSync, writeSync } from 'node:fs';
import * as path from 'node:path';
import type { Logger } from 'pino';
import { FlowwatchError } from '../kernel/errors';
import type { Alert } from '../kernel/types';
import { loadConfigFile, validateConfig } from '../config/load';
import { measurementNames } from '../config/semantics';
import { formatDuration } from '../kernel/duration';
import { listInputs, type InputFile } from './input';
import { readLabels } from './labels';
import { alertMetrics, scoreAt, sweep, type AlertMetrics, type ScoredSeries, type SweepResult, type ThresholdScore } from './nab';
import { createProgress } from './progress';
import { describeLeads, windowLeads } from './lead';
import { renderReport } from './report';
import { replayFile, type FileOutcome, type ReplayTarget } from './run';

export interface BacktestOptions {
  input: string;
  out: string;
  /** Detector config (YAML/JSON, the run config format); default: the built-in univariate profile. */
  config?: string;
  /** Stream of the config whose detectors judge the input (default: its only stream). */
  stream?: string;
  /** Measurement a CSV `value` becomes (default: "value" if the stream has it, else its first). */
  measurement?: string;
  labels?: string;
  report?: string;
  /** JSON lines: every alert state change the backtest saw (firing, resolved), in order. */
  alerts?: string;
}

export interface BacktestResult {
  files: FileOutcome[];
  failed: number;
  rows: number;
  wallMs: number;
  labelProblems: string[];
  nab?: SweepResult;
  alertNab?: ThresholdScore;
  alerts?: AlertMetrics;
  /** Alert state changes written to `--alerts`. */
  alertChanges: number;
  /** Summary lines as printed. */
  lines: string[];
  exitCode: number;
}

export interface BacktestIO {
  log: Logger;
  /** One summary line (stdout). */
  out(line: string): void;
  /** One problem or per-file note line (stderr). */
  err(line: string): void;
  progressStream?: NodeJS.WriteStream;
}

/** The stream a backtest replays into when no config is given: the default univariate profile on `value`. */
export const DEFAULT_STREAM = 'series';

export function defaultProfileConfig(input: string) {
  return validateConfig(
    {
      streams: {
        [DEFAULT_STREAM]: {
          source: { type: 'file', path: input },
          mapping: { key: 'key', time: 'timestamp', measurements: ['value'] },
          max_age: '0',
          detectors: [{ type: 'univariate', name: 'default-profile' }],
        },
      },
      dead_letter: { type: 'stderr' },
    },
    'built-in default profile',
  );
}

/**
 * The config, stream and measurement a backtest replays into. Every stream of a config is kept, so
 * raw records (`{"stream", "payload"}`) of any of them are judged by it, in one pipeline; series
 * rows (CSV, JSONL values and events) go to `--stream`, or to the config's only stream.
 */
export function replayTarget(o: Pick<BacktestOptions, 'config' | 'stream' | 'measurement' | 'input'>): ReplayTarget {
  if (!o.config) return { config: defaultProfileConfig(o.input), stream: DEFAULT_STREAM, measurement: 'value' };
  const config = loadConfigFile(o.config);
  const names = Object.keys(config.streams);
  const stream = o.stream ?? (names.length === 1 ? names[0] : undefined);
  // Replay: every event time is plausible (history), nothing else of the config is needed.
  for (const name of names) config.streams[name] = { ...config.streams[name], source: { type: 'file', path: o.input }, max_age: 0 };
  config.sinks = [];
  if (!stream) {
    if (o.measurement)
      throw new FlowwatchError(
        'FW_USAGE',
        `--measurement ${o.measurement}: choose the stream it belongs to with --stream (${o.config} has ${names.join(', ')})`,
      );
    const noStream = `${o.config} has ${names.length} streams (${names.join(', ')}): choose the one that judges timestamp/value rows with --stream (raw {"stream", "payload"} records name their own)`;
    return { config, noStream };
  }
  const s = config.streams[stream];
  if (!s) throw new FlowwatchError('FW_USAGE', `--stream ${stream}: no such stream in ${o.config}; it has ${names.join(', ')}`);
  if (s.detectors.length === 0) throw new FlowwatchError('FW_USAGE', `stream ${stream} in ${o.config} has no detectors to backtest`);
  const measurements = measurementNames(s.mapping);
  const measurement = o.measurement ?? (measurements.includes('value') ? 'value' : measurements[0]);
  if (!measurements.includes(measurement))
    throw new FlowwatchError('FW_USAGE', `--measurement ${measurement}: stream ${stream} has ${measurements.join(', ')}`);
  return { config, stream, measurement };
}

/** Output path of an input file: the output directory mirrors the input tree, always as .csv. */
export function outputPath(file: InputFile, o: Pick<BacktestOptions, 'input' | 'out'>, single: boolean): string {
  const asCsv = (p: string) => p.replace(/\.(jsonl|ndjson|csv)$/i, '') + '.csv';
  if (single && /\.csv$/i.test(o.out) && !(existsSync(o.out) && statSync(o.out).isDirectory())) return o.out;
  return path.join(o.out, asCsv(file.rel));
}

/**
 * Replays every input file through the pipeline, writes the output CSVs, scores against labels
 * when given, renders the report when asked. Exit code 1 when any file failed or the labels file
 * has problems (the rest is still processed and scored).
 */
export async function runBacktest(o: BacktestOptions, io: BacktestIO): Promise<BacktestResult> {
  if (!existsSync(o.input)) throw new FlowwatchError('FW_USAGE', `--input ${o.input}: no such file or directory`);
  const inputs = listInputs(o.input);
  if (inputs.length === 0) throw new FlowwatchError('FW_USAGE', `--input ${o.input}: no .csv, .jsonl or .ndjson files found`);
  const target = replayTarget(o);
  const single = statSync(o.input).isFile();
  const known = new Set(inputs.map((f) => f.rel));
  const labels = o.labels ? readLabels(o.labels, known) : undefined;
  for (const p of labels?.problems ?? []) io.err(p);
  if (!single) mkdirSync(o.out, { recursive: true });

  const totalBytes = inputs.reduce((a, f) => a + f.bytes, 0);
  const progress = createProgress(totalBytes, io.progressStream);
  const started = Date.now();
  const files: FileOutcome[] = [];
  const changeLog = o.alerts ? openChangeLog(o.alerts) : null;
  let alertChanges = 0;
  let doneBytes = 0;
  let doneRows = 0;
  try {
    for (const f of inputs) {
      const outcome = await replayFile(f, outputPath(f, o, single), target, io.log, (bytes, rows) =>
        progress.update(doneBytes + bytes, doneRows + rows, f.rel),
      );
      doneBytes += f.bytes;
      doneRows += outcome.rows;
      files.push(outcome);
      for (const p of outcome.problems) io.err(p);
      if (!outcome.ok) io.err(`${f.rel}: failed, no output written (other files go on)`);
      if (outcome.note !== null) io.err(`${f.rel}: ${outcome.note}`);
      // A failed file has no output, so none of its alerts either.
      if (changeLog && outcome.ok) alertChanges += changeLog.write(outcome.changes, single ? undefined : f.rel);
    }
  } finally {
    progress.stop();
    changeLog?.close();
  }
  const wallMs = Date.now() - started;
  const ok = files.filter((f) => f.ok);
  const failed = files.length - ok.length;
  const rows = ok.reduce((a, f) => a + f.rows, 0);
  const lines: string[] = [];
  const perMin = wallMs > 0 ? (rows / wallMs) * 60_000 : 0;
  lines.push(
    `backtest: ${files.length} file${files.length === 1 ? '' : 's'}, ${rows.toLocaleString('en-US')} rows in ${formatDuration(wallMs)} (${fmtRate(perMin)} rows/min); ${failed} failed`,
  );
  lines.push(`profile: ${profileOf(o, target)}; output: ${single && ok[0]?.out ? ok[0].out : o.out}`);
  if (o.alerts) lines.push(`alert changes: ${alertChanges} written to ${o.alerts}`);

  const result: BacktestResult = { files, failed, rows, wallMs, labelProblems: labels?.problems ?? [], alertChanges, lines, exitCode: 0 };
  if (labels) scoreAgainstLabels(ok, labels, result);
  if (o.report) writeReport(o, files, labels, lines);
  for (const l of lines) io.out(l);
  result.exitCode = failed > 0 || (labels?.problems.length ?? 0) > 0 ? 1 : 0;
  return result;
}

/** With labels: NAB scores (best threshold, and the alerts' onsets), alert precision/recall and lead times, into the result and its lines. */
function scoreAgainstLabels(ok: FileOutcome[], labels: NonNullable<ReturnType<typeof readLabels>>, result: BacktestResult): void {
  const lines = result.lines;
  const scored = ok.filter((f) => labels.windows.has(f.file.rel));
  const unlabelled = ok.length - scored.length;
  const series: ScoredSeries[] = scored.map((f) => ({
    name: f.file.rel,
    ts: f.ts,
    scores: f.scores,
    windows: labels.windows.get(f.file.rel)!,
  }));
  const nab = sweep(series);
  const onsets: ScoredSeries[] = scored.map((f) => ({
    name: f.file.rel,
    ts: f.ts,
    scores: onsetsOf(f.alert),
    windows: labels.windows.get(f.file.rel)!,
  }));
  const alertNab = scoreAt(onsets, 1);
  const m = alertMetrics(scored.map((f) => ({ ts: f.ts, alert: f.alert, windows: labels.windows.get(f.file.rel)! })));
  result.nab = nab;
  result.alertNab = alertNab;
  result.alerts = m;
  lines.push(
    `labels: ${nab.windows} windows in ${scored.length} file${scored.length === 1 ? '' : 's'}${unlabelled > 0 ? ` (${unlabelled} file${unlabelled === 1 ? '' : 's'} without labels not scored)` : ''}; the first 15% of each file (at most 750 rows) is probation, as in NAB`,
  );
  lines.push(
    `alerts: ${m.alerts} (${m.trueAlerts} overlap a window): precision ${fmt3(m.precision)}, recall ${fmt3(m.recall)} (${m.detected}/${m.windows} windows), mean detection delay ${m.meanDelayMs === null ? '—' : formatDuration(Math.round(m.meanDelayMs / 60_000) * 60_000)} after the window start (${m.meanDelayShare === null ? '—' : m.meanDelayShare.toFixed(2)} of the window)`,
  );
  lines.push(
    `NAB score (standard profile, best single threshold over all files): ${nab.best.normalized.toFixed(1)} at anomaly_score >= ${Number.isFinite(nab.best.threshold) ? nab.best.threshold.toFixed(4) : 'none'} (${nab.best.detectedWindows}/${nab.windows} windows detected, ${nab.best.falseRows} detections outside windows)`,
  );
  lines.push(`NAB score of the alerts themselves (each alert's first row as a detection): ${alertNab.normalized.toFixed(1)}`);
  lines.push(
    describeLeads(
      windowLeads(scored.map((f) => ({ name: f.file.rel, ts: f.ts, alert: f.alert, windows: labels.windows.get(f.file.rel)! }))),
      (ms) => formatDuration(Math.round(ms / 60_000) * 60_000),
    ),
  );
}

/** `--report`: the HTML report of every file, with the summary lines. */
function writeReport(o: BacktestOptions, files: FileOutcome[], labels: ReturnType<typeof readLabels> | undefined, lines: string[]): void {
  const report = o.report!;
  const reportFiles = files.map((f) => ({
    rel: f.file.rel,
    ok: f.ok,
    problems: f.problems,
    ts: f.ts,
    values: f.values,
    scores: f.scores,
    alert: f.alert,
    alerts: f.alerts,
    windows: labels?.windows.get(f.file.rel) ?? [],
  }));
  mkdirSync(path.dirname(path.resolve(report)), { recursive: true });
  writeFileSync(report, renderReport({ title: `flowwatch backtest — ${o.input}`, summary: lines, files: reportFiles }));
  lines.push(`report: ${report}`);
}

function profileOf(o: BacktestOptions, target: ReplayTarget): string {
  if (!o.config) return 'built-in default univariate profile';
  if (target.stream === undefined)
    return `${o.config}, streams ${Object.keys(target.config.streams).join(', ')} (raw records by their "stream")`;
  return `${o.config}, stream ${target.stream}, measurement ${target.measurement}`;
}

/**
 * `--alerts`: one JSON line per alert state change, in the order the backtest saw them; times are
 * epoch ms of event time (`endsAt` only on resolved ones). With a directory input each line names
 * its input file.
 */
function openChangeLog(file: string): { write(changes: readonly Alert[], rel: string | undefined): number; close(): void } {
  // Opened before any file is replayed, so a path that cannot be written stops the run at once.
  let fd: number;
  try {
    mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    fd = openSync(file, 'w');
  } catch (err) {
    throw new FlowwatchError('FW_USAGE', `--alerts ${file}: ${(err as Error).message}`);
  }
  return {
    // Alert changes are few (a file's worth at a time): written synchronously, no stream to drain.
    write(changes, rel) {
      let text = '';
      for (const a of changes) text += JSON.stringify(changeLine(a, rel)) + '\n';
      if (text !== '') writeSync(fd, text);
      return changes.length;
    },
    close: () => closeSync(fd),
  };
}

/** The fields of an alert state change as `--alerts` writes them, in a fixed order. */
export function changeLine(a: Alert, file?: string): Record<string, unknown> {
  const line: Record<string, unknown> = {};
  if (file !== undefined) line.file = file;
  Object.assign(line, {
    id: a.id,
    fingerprint: a.fingerprint,
    status: a.status,
    stream: a.stream,
    key: a.key,
    detector: a.detector,
    severity: a.severity,
    startsAt: a.startsAt,
  });
  if (a.status === 'resolved' && a.endsAt !== undefined) line.endsAt = a.endsAt;
  line.summary = a.summary;
  return line;
}

/** 1 on each alert's first row, else 0. */
export function onsetsOf(alert: ArrayLike<number>): Float64Array {
  const out = new Float64Array(alert.length);
  for (let i = 0; i < alert.length; i++) if (alert[i] === 1 && (i === 0 || alert[i - 1] !== 1)) out[i] = 1;
  return out;
}

function fmt3(x: number | null): string {
  return x === null ? '—' : x.toFixed(3);
}

function fmtRate(perMin: number): string {
  return perMin >= 1e6 ? `${(perMin / 1e6).toFixed(1)}M` : perMin >= 1e3 ? `${(perMin / 1e3).toFixed(0)}k` : perMin.toFixed(0);
}
