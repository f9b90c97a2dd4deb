import { createReadStream, createWriteStream, mkdirSync, renameSync, rmSync, type WriteStream } from 'node:fs';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import type { Logger } from 'pino';
import type { Alert, Evidence, FlowEvent } from '../kernel/types';
import type { FlowwatchConfig } from '../config/schema';
import { ADVANCE_PERIOD_MS, Pipeline } from '../worker/pipeline';
import { alertId } from '../alerts/identity';
import { createDecoder, type Decoder } from '../ingest/decode/decoder';
import { parseCsvHeader, parseTimestamp, parseValue, splitCsvLine, type CsvHeader, type InputFile } from './input';
import { QuirkCounts, SeriesClock } from './quirks';

/**
 * How files become events: the config whose streams judge them; the stream and measurement that
 * series rows (CSV `timestamp,value`, JSONL values and events) go to. Raw records
 * (`{"stream", "payload"}`) name their own stream.
 */
export interface ReplayTarget {
  config: FlowwatchConfig;
  /** Stream that judges series rows; undefined when the config has several and none was chosen. */
  stream?: string;
  measurement?: string;
  /** Why series rows cannot be judged without a --stream (reported as file:line). */
  noStream?: string;
}

/** A firing alert as the backtest saw it: the row it fired on and the lifecycle's evidence. */
export interface AlertRecord {
  row: number;
  ts: number;
  detector: string;
  key: string;
  score: number;
  summary: string;
  evidence: Evidence;
}

export interface FileOutcome {
  file: InputFile;
  ok: boolean;
  /** "rel/path.csv:LINE: what is wrong", at most MAX_PROBLEMS. */
  problems: string[];
  rows: number;
  /** Output CSV written (only when ok). */
  out?: string;
  ts: Float64Array;
  values: Float64Array;
  scores: Float64Array;
  alert: Uint8Array;
  alerts: AlertRecord[];
  /** Every alert state change (firing, resolved), in order, with the file's own times. */
  changes: Alert[];
  /** What admission and the clock policy did (duplicates, out-of-order, late rows, clock jumps, gaps). */
  quirks: QuirkCounts;
  /** The per-file line saying so, or null when the file had no quirk. */
  note: string | null;
}

export const MAX_PROBLEMS = 10;

/** Joins stream and key into one map key (the pipeline's own separator). */
const SEP = '\u0000';

/** A growable typed column (rows are kept for scoring and the report; 8 bytes a number). */
class Column<T extends Float64Array | Uint8Array> {
  n = 0;
  constructor(public data: T) {}
  push(v: number): void {
    if (this.n === this.data.length) {
      const next = new (this.data.constructor as new (n: number) => T)(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.n++] = v;
  }
  done(): T {
    return this.data.subarray(0, this.n) as T;
  }
}

/** What the backtest keeps per series (stream + key): its clock, its latest score, its firing detectors. */
interface Series {
  stream: string;
  key: string;
  /** Admission scope: the series' own, or its stream's for raw records. */
  scope: string;
  clock: SeriesClock;
  score: number;
  firing: Set<string>;
}

/**
 * Replays one file through a fresh Pipeline — the live code path: admission (lateness behind the
 * watermark, duplicates), the configured detectors per key, the alert lifecycle (pending → firing
 * → resolved with `for`) and event time passing (`advance` after each row, with the row's time).
 * Each row is judged as its own batch so its own verdict can be read back: `anomaly_score` is the
 * highest detector score for the row's key, `alert` is 1 while any of the key's alerts is firing.
 * Every input row gets an output row: one that admission drops (duplicate, late) carries its key's
 * latest score and alert state. A series clock that jumps back is continued (SeriesClock).
 *
 * Output is written to a temporary file and renamed when the whole file was good; on the first
 * structurally bad row the file is failed (no output), but reading goes on to report up to
 * MAX_PROBLEMS problems.
 */
export async function replayFile(
  file: InputFile,
  outPath: string,
  target: ReplayTarget,
  log: Logger,
  onProgress?: (bytes: number, rows: number) => void,
): Promise<FileOutcome> {
  return new FileReplay(file, outPath, target, log, onProgress).run();
}

/** One file's replay (see replayFile): the pipeline, the output columns and CSV, the problems found. */
class FileReplay {
  private readonly pipeline: Pipeline;
  private readonly problems: string[] = [];
  private readonly ts = new Column(new Float64Array(1024));
  private readonly values = new Column(new Float64Array(1024));
  private readonly scores = new Column(new Float64Array(1024));
  private readonly alertCol = new Column(new Uint8Array(1024));
  private readonly alerts: AlertRecord[] = [];
  private readonly changes: Alert[] = [];
  private readonly quirks = new QuirkCounts();
  private readonly series = new Map<string, Series>();
  private readonly decoders = new Map<string, Decoder>();
  /** Consecutive rows are mostly of one series (a CSV file is one): the last one is kept at hand. */
  private last: Series | null = null;
  private lastAt = -Infinity;
  private failed = false;
  private noStreamReported = false;
  /** Output CSV not yet written, and where it goes until the whole file was good. */
  private buf = 'timestamp,value,anomaly_score,alert\n';
  private readonly tmp: string;
  private readonly out: WriteStream;

  constructor(
    private readonly file: InputFile,
    private readonly outPath: string,
    private readonly target: ReplayTarget,
    log: Logger,
    private readonly onProgress?: (bytes: number, rows: number) => void,
  ) {
    this.pipeline = new Pipeline(target.config, log);
    mkdirSync(path.dirname(outPath), { recursive: true });
    this.tmp = `${outPath}.partial-${process.pid}`;
    this.out = createWriteStream(this.tmp, { encoding: 'utf8' });
  }

  async run(): Promise<FileOutcome> {
    const { file, target, quirks, ts } = this;
    const input = createReadStream(file.abs, { encoding: 'utf8' });
    const lines = createInterface({ input, crlfDelay: Infinity });
    try {
      const { lineNo, sawContent } = await this.readLines(lines);
      await this.finish(lineNo, sawContent);
    } finally {
      lines.close();
      input.destroy();
      await new Promise<void>((resolve) => this.out.end(() => resolve()));
    }
    this.onProgress?.(file.bytes, ts.n);
    const failed = this.failed;
    if (failed) rmSync(this.tmp, { force: true });
    else renameSync(this.tmp, this.outPath);
    const lateness =
      target.stream !== undefined
        ? target.config.streams[target.stream].lateness
        : Math.max(...Object.values(target.config.streams).map((s) => s.lateness));
    const note = failed ? null : quirks.note(this.series.size <= 1, lateness, ts.n);
    const columns = { ts: ts.done(), values: this.values.done(), scores: this.scores.done(), alert: this.alertCol.done() };
    return {
      file,
      ok: !failed,
      problems: this.problems,
      rows: ts.n,
      out: failed ? undefined : this.outPath,
      ...columns,
      alerts: this.alerts,
      changes: this.changes,
      quirks,
      note,
    };
  }

  /** Reads and judges the rows; stops early once the file failed and MAX_PROBLEMS were found. */
  private async readLines(lines: AsyncIterable<string>): Promise<{ lineNo: number; sawContent: boolean }> {
    const file = this.file;
    let lineNo = 0;
    let header: CsvHeader | null = null;
    let sawContent = false;
    let bytes = 0;
    for await (const line of lines) {
      lineNo++;
      bytes += Buffer.byteLength(line) + 1;
      if (line.trim() === '') continue;
      sawContent = true;
      let ok = true;
      if (file.format === 'csv') {
        if (header === null) {
          const h = parseCsvHeader(line);
          if (typeof h === 'string') {
            this.problem(lineNo, h);
            this.failed = true;
            break;
          }
          header = h;
          continue;
        }
        ok = this.csvRow(header, line, lineNo);
      } else {
        ok = this.jsonlRow(line, lineNo);
      }
      if (!ok) this.failed = true;
      if (this.failed && this.problems.length >= MAX_PROBLEMS) break;
      if (!this.failed && (this.ts.n & 4095) === 0) {
        await this.flush();
        this.onProgress?.(bytes, this.ts.n);
      }
    }
    return { lineNo, sawContent };
  }

  /** An empty file or one without rows fails; a good one gets what is due at its end, and the rest of its output. */
  private async finish(lineNo: number, sawContent: boolean): Promise<void> {
    const ts = this.ts;
    if (!sawContent)
      this.problem(
        Math.max(1, lineNo),
        `empty file: expected ${this.file.format === 'csv' ? 'a header "timestamp,value" and' : ''} data rows`,
      );
    else if (!this.failed && ts.n === 0) this.problem(lineNo, 'no data rows');
    if (this.problems.length > 0) this.failed = true;
    if (this.failed) return;
    // The end of the file: whatever is due by then fires (windows drain, pending `for`s complete).
    if (this.lastAt > -Infinity)
      this.record(this.pipeline.advance(this.lastAt + ADVANCE_PERIOD_MS, false), ts.n - 1, ts.n > 0 ? ts.data[ts.n - 1] : NaN);
    await this.flush();
  }

  private problem(line: number, msg: string): void {
    if (this.problems.length < MAX_PROBLEMS) this.problems.push(`${this.file.rel}:${line}: ${msg}`);
  }

  private async flush(): Promise<void> {
    if (this.buf.length === 0) return;
    const chunk = this.buf;
    this.buf = '';
    if (!this.out.write(chunk)) await new Promise<void>((resolve) => this.out.once('drain', () => resolve()));
  }

  private seriesOf(stream: string, key: string, raw: boolean): Series {
    const last = this.last;
    if (last !== null && last.key === key && last.stream === stream) return last;
    const id = stream + SEP + key;
    let s = this.series.get(id);
    if (s === undefined) {
      const clock = new SeriesClock(key, this.target.config.streams[stream]?.lateness ?? 0, !raw);
      // Raw records share one scope per stream (a live partition's watermark); series are independent, one scope each.
      this.series.set(id, (s = { stream, key, scope: raw ? 'default' : id, clock, score: 0, firing: new Set() }));
    }
    return (this.last = s);
  }

  /** Alert changes of the pipeline (a row's own or time passing): the alert column's state, the change log, the report's onsets. */
  private record(list: readonly Alert[], row: number, rowTs: number): void {
    for (const a of list) {
      // Alerts come for keys that had events: their series exist.
      const s = this.seriesOf(a.stream, a.key, true);
      this.changes.push(s.clock.shifted ? onFileClock(a, s.clock) : a);
      if (a.status === 'firing') {
        s.firing.add(a.detector);
        this.alerts.push({ row, ts: rowTs, detector: a.detector, key: a.key, score: a.score, summary: a.summary, evidence: a.evidence });
      } else s.firing.delete(a.detector);
    }
  }

  /**
   * Judges one row (event `e` from input line `line`; `tsText`/`valueText` as written there, ''/null:
   * formatted from the event); false when the row is broken (a problem was reported). Raw records
   * are judged exactly as a live partition would; series rows get the clock-jump policy.
   */
  private judge(e: FlowEvent, line: number, tsText: string, valueText: string | null, raw: boolean): boolean {
    const { pipeline, quirks } = this;
    const s = this.seriesOf(e.stream, e.key, raw);
    const at = s.clock.place(e.ts, line);
    const res = pipeline.processEvents([at === e.ts ? e : { ...e, ts: at }], at, s.scope);
    let score = 0;
    let value = NaN;
    if (res.rejects.length > 0) {
      const reason = res.rejects[0].reason;
      if (reason === 'late') quirks.late++;
      else if (reason === 'duplicate') quirks.exactDuplicates++;
      else {
        this.problem(line, `${reason}: ${res.rejects[0].detail}`);
        return false;
      }
      // Dropped as live would drop it; the row still gets its key's latest verdict, so scoring sees every row.
      score = s.score;
    } else {
      s.clock.admitted(at, quirks);
      if (at > this.lastAt) this.lastAt = at;
      for (const o of pipeline.latestObservations()) {
        if (o.key !== e.key || o.stream !== e.stream) continue;
        if (o.obs.score >= score) score = o.obs.score;
        if (Number.isNaN(value)) value = o.obs.evidence.value;
      }
      s.score = score;
    }
    if (s.clock.confirmed !== null) quirks.jumps.push(s.clock.confirmed);
    const row = this.ts.n;
    if (res.alerts.length > 0) this.record(res.alerts, row, e.ts);
    // Time passes with the row's event time: quiet keys' windows drain, silence and pending `for`s
    // are judged once the watermark passes them. As for any replay (worker/runner.ts), the idle rule
    // does not apply: it is about clock time, and a file has none.
    const passed = pipeline.advance(at, false);
    if (passed.length > 0) this.record(passed, row, e.ts);
    pipeline.dropChanges(); // nothing is committed: no need to serialise what changed
    if (Number.isNaN(value)) value = valueOf(e, this.target.measurement);
    this.writeRow(e.ts, tsText, value, valueText, score, s.firing.size > 0 ? 1 : 0);
    return true;
  }

  /** The row's output: the columns kept for scoring and its CSV line. */
  private writeRow(ts: number, tsText: string, value: number, valueText: string | null, score: number, on: number): void {
    this.ts.push(ts);
    this.values.push(value);
    this.scores.push(score);
    this.alertCol.push(on);
    const vText = valueText ?? (Number.isFinite(value) ? String(value) : '');
    this.buf += `${csvField(tsText !== '' ? tsText : new Date(ts).toISOString())},${csvField(vText)},${score === 0 ? '0' : score.toFixed(6)},${on}\n`;
  }

  /** A series row for the target stream, or false (with a problem, once) when the config has no stream for series. */
  private seriesRow(
    row: Pick<FlowEvent, 'key' | 'ts' | 'values' | 'attrs'>,
    line: number,
    tsText: string,
    valueText: string | null,
  ): boolean {
    const target = this.target;
    if (target.stream === undefined) {
      if (!this.noStreamReported)
        this.problem(line, target.noStream ?? 'no stream to judge timestamp/value rows; choose one with --stream');
      this.noStreamReported = true;
      return false;
    }
    if (this.failed) return true;
    return this.judge(
      { stream: target.stream, key: row.key, ts: row.ts, values: row.values, attrs: row.attrs },
      line,
      tsText,
      valueText,
      false,
    );
  }

  private csvRow(h: CsvHeader, line: string, n: number): boolean {
    const cols = splitCsvLine(line);
    if (cols.length < h.columns) {
      this.problem(n, `expected ${h.columns} columns, got ${cols.length}`);
      return false;
    }
    const t = parseTimestamp(cols[h.timestamp]);
    const v = parseValue(cols[h.value]);
    if (typeof t === 'string') {
      this.problem(n, t);
      return false;
    }
    if (typeof v === 'string') {
      this.problem(n, v);
      return false;
    }
    return this.seriesRow(
      { key: this.file.rel, ts: t, values: { [this.target.measurement ?? 'value']: v }, attrs: {} },
      n,
      cols[h.timestamp].trim(),
      cols[h.value].trim(),
    );
  }

  private jsonlRow(line: string, n: number): boolean {
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch (err) {
      this.problem(n, `not valid JSON: ${(err as Error).message}`);
      return false;
    }
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
      this.problem(n, 'expected a JSON object per line');
      return false;
    }
    const o = obj as Record<string, unknown>;
    if ('payload' in o) return this.rawRecord(o, n);
    const tRaw = o.ts ?? o.timestamp ?? o.time;
    const t = parseTimestamp(tRaw);
    if (typeof t === 'string') {
      this.problem(n, tRaw === undefined ? 'missing "timestamp" (or "ts")' : t);
      return false;
    }
    const vals = o.values !== undefined ? eventValues(o.values) : seriesValue(o.value, this.target.measurement);
    if (typeof vals === 'string') {
      this.problem(n, vals);
      return false;
    }
    const key = typeof o.key === 'string' || typeof o.key === 'number' ? String(o.key) : this.file.rel;
    const attrs = o.attrs && typeof o.attrs === 'object' ? (o.attrs as Record<string, string>) : {};
    const tsText = typeof tRaw === 'string' ? tRaw : new Date(t).toISOString();
    return this.seriesRow({ key, ts: t, values: vals, attrs }, n, tsText, null);
  }

  /**
   * A raw record (`{"stream", "payload"}`, as `flowwatch simulate` writes): decoded by the mapping of
   * the config stream it names — or, when the config has no such stream, of the stream series go to
   * (the config's only one or --stream), as before streams were named.
   */
  private rawRecord(o: Record<string, unknown>, n: number): boolean {
    const target = this.target;
    const named = typeof o.stream === 'string' && Object.hasOwn(target.config.streams, o.stream) ? o.stream : undefined;
    const stream = named ?? target.stream;
    if (stream === undefined) {
      const names = Object.keys(target.config.streams).join(', ');
      this.problem(
        n,
        o.stream === undefined
          ? `raw record without "stream": the config has several streams (${names})`
          : `"stream": ${JSON.stringify(o.stream)} is not a stream of the config (it has ${names})`,
      );
      return false;
    }
    const payload = o.payload;
    if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
      this.problem(n, '"payload" must be a JSON object');
      return false;
    }
    let decoder = this.decoders.get(stream);
    if (decoder === undefined) this.decoders.set(stream, (decoder = createDecoder(stream, target.config.streams[stream].mapping)));
    const d = decoder.decode(payload as Record<string, unknown>);
    if (!d.ok) {
      this.problem(n, `${d.reason}: ${d.detail}`);
      return false;
    }
    if (this.failed) return true;
    return this.judge(d.event, n, '', null, true);
  }
}

/** A JSONL row's "values": an object of finite numbers, or what is wrong with it. */
function eventValues(values: unknown): Record<string, number> | string {
  if (values === null || typeof values !== 'object') return '"values" must be an object of numbers';
  const vals: Record<string, number> = {};
  for (const [k, v] of Object.entries(values as Record<string, unknown>)) {
    if (typeof v !== 'number' || !Number.isFinite(v)) return `values.${k}: expected a finite number, got ${JSON.stringify(v)}`;
    vals[k] = v;
  }
  return vals;
}

/** A JSONL row's "value" (a number, or a number in a string) as the series measurement, or what is wrong with it. */
function seriesValue(value: unknown, measurement: string | undefined): Record<string, number> | string {
  const v =
    typeof value === 'string'
      ? parseValue(value)
      : typeof value === 'number' && Number.isFinite(value)
        ? value
        : value === undefined
          ? 'missing "value"'
          : `value ${JSON.stringify(value)} is not a finite number`;
  if (typeof v === 'string') return v;
  return { [measurement ?? 'value']: v };
}

/** An alert of a series judged on a continued clock, with the file's own times (and the id they give). */
function onFileClock(a: Alert, clock: SeriesClock): Alert {
  const startsAt = clock.original(a.startsAt);
  const endsAt = a.endsAt === undefined ? undefined : clock.original(a.endsAt);
  if (startsAt === a.startsAt && endsAt === a.endsAt) return a;
  const out: Alert = { ...a, id: alertId(a.fingerprint, a.status, startsAt), startsAt };
  if (endsAt !== undefined) out.endsAt = endsAt;
  return out;
}

/** The value column of a row without a verdict: the series' measurement, else the event's first value. */
function valueOf(e: FlowEvent, measurement: string | undefined): number {
  const v = measurement !== undefined ? e.values[measurement] : undefined;
  if (typeof v === 'number') return v;
  for (const k in e.values) return e.values[k];
  return NaN;
}

function csvField(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
