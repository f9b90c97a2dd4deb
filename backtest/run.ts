import { createReadStream, createWriteStream, mkdirSync, renameSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import type { Logger } from 'pino';
import type { Evidence, FlowEvent } from '../core/types';
import type { FlowwatchConfig } from '../config/schema';
import { Pipeline } from '../core/pipeline';
import { parseCsvHeader, parseTimestamp, parseValue, splitCsvLine, type CsvHeader, type InputFile } from './input';

/** How one file becomes events: which stream of the config judges them and under which measurement a CSV value goes. */
export interface ReplayTarget {
  config: FlowwatchConfig;
  stream: string;
  measurement: string;
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
}

export const MAX_PROBLEMS = 10;

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

/**
 * Replays one file through a fresh Pipeline — the live code path: admission, the configured
 * detectors per key, and the alert lifecycle (pending → firing → resolved with `for`). Each row is
 * judged as its own batch so its own verdict can be read back: `anomaly_score` is the highest
 * detector score for the row's key, `alert` is 1 while any of the key's alerts is firing.
 *
 * Output is written to a temporary file and renamed when the whole file was good; on the first
 * bad row the file is failed (no output), but reading goes on to report up to MAX_PROBLEMS problems.
 */
export async function replayFile(file: InputFile, outPath: string, target: ReplayTarget, log: Logger, onProgress?: (bytes: number, rows: number) => void): Promise<FileOutcome> {
  const pipeline = new Pipeline(target.config, log);
  const stream = target.stream;
  const problems: string[] = [];
  const ts = new Column(new Float64Array(1024));
  const values = new Column(new Float64Array(1024));
  const scores = new Column(new Float64Array(1024));
  const alertCol = new Column(new Uint8Array(1024));
  const alerts: AlertRecord[] = [];
  const firing = new Map<string, Set<string>>();
  const lastTs = new Map<string, { ts: number; line: number }>();
  const problem = (line: number, msg: string) => {
    if (problems.length < MAX_PROBLEMS) problems.push(`${file.rel}:${line}: ${msg}`);
  };

  mkdirSync(path.dirname(outPath), { recursive: true });
  const tmp = `${outPath}.partial-${process.pid}`;
  const out = createWriteStream(tmp, { encoding: 'utf8' });
  let buf = 'timestamp,value,anomaly_score,alert\n';
  const flush = async () => {
    if (buf.length === 0) return;
    const chunk = buf;
    buf = '';
    if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  };

  const input = createReadStream(file.abs, { encoding: 'utf8' });
  const lines = createInterface({ input, crlfDelay: Infinity });
  let lineNo = 0;
  let header: CsvHeader | null = null;
  let sawContent = false;
  let bytes = 0;
  let failed = false;

  /** Judges one event; returns false when admission rejected it. */
  const judge = (e: FlowEvent | null, raw: Record<string, unknown> | null, line: number, tsText: string, valueText: string | null): boolean => {
    const now = e ? e.ts : Number.MAX_SAFE_INTEGER;
    const res = e ? pipeline.processEvents([e], now) : pipeline.processBatch([{ stream, payload: raw!, source: `${file.rel}:${line}` }], now);
    if (res.rejects.length > 0) {
      problem(line, `${res.rejects[0].reason}: ${res.rejects[0].detail}`);
      return false;
    }
    const row = ts.n;
    let score = 0;
    let value = NaN;
    let key = e?.key ?? '';
    let when = e?.ts ?? NaN;
    for (const o of pipeline.latestObservations()) {
      key = o.key;
      when = o.ts;
      if (o.obs.score >= score) score = o.obs.score;
      if (Number.isNaN(value)) value = o.obs.evidence.value;
    }
    pipeline.takeChanges();
    if (e && Number.isNaN(value)) {
      const v = e.values[target.measurement];
      value = typeof v === 'number' ? v : firstValue(e.values);
    }
    for (const a of res.alerts) {
      let set = firing.get(a.key);
      if (!set) firing.set(a.key, (set = new Set()));
      if (a.status === 'firing') {
        set.add(a.detector);
        alerts.push({ row, ts: when, detector: a.detector, key: a.key, score: a.score, summary: a.summary, evidence: a.evidence });
      } else set.delete(a.detector);
    }
    const on = (firing.get(key)?.size ?? 0) > 0 ? 1 : 0;
    ts.push(when);
    values.push(value);
    scores.push(score);
    alertCol.push(on);
    const vText = valueText ?? (Number.isFinite(value) ? String(value) : '');
    if (tsText === '' && Number.isFinite(when)) tsText = new Date(when).toISOString();
    buf += `${csvField(tsText)},${csvField(vText)},${score === 0 ? '0' : score.toFixed(6)},${on}\n`;
    return true;
  };

  const checkOrder = (key: string, t: number, line: number): boolean => {
    const prev = lastTs.get(key);
    if (prev !== undefined) {
      if (t === prev.ts) {
        problem(line, `duplicate timestamp ${new Date(t).toISOString()} (also on line ${prev.line})`);
        return false;
      }
      if (t < prev.ts) {
        problem(line, `timestamps not sorted: ${new Date(t).toISOString()} is before ${new Date(prev.ts).toISOString()} on line ${prev.line}`);
        return false;
      }
    }
    lastTs.set(key, { ts: t, line });
    return true;
  };

  try {
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
            problem(lineNo, h);
            failed = true;
            break;
          }
          header = h;
          continue;
        }
        const cols = splitCsvLine(line);
        if (cols.length < header.columns) {
          problem(lineNo, `expected ${header.columns} columns, got ${cols.length}`);
          ok = false;
        } else {
          const t = parseTimestamp(cols[header.timestamp]);
          const v = parseValue(cols[header.value]);
          if (typeof t === 'string') {
            problem(lineNo, t);
            ok = false;
          } else if (typeof v === 'string') {
            problem(lineNo, v);
            ok = false;
          } else if (!checkOrder(file.rel, t, lineNo)) ok = false;
          else if (!failed) ok = judge({ stream, key: file.rel, ts: t, values: { [target.measurement]: v }, attrs: {} }, null, lineNo, cols[header.timestamp].trim(), cols[header.value].trim());
        }
      } else {
        ok = jsonlRow(line, lineNo);
      }
      if (!ok) failed = true;
      if (failed && problems.length >= MAX_PROBLEMS) break;
      if (!failed && (ts.n & 4095) === 0) {
        await flush();
        onProgress?.(bytes, ts.n);
      }
    }
    if (!sawContent) problem(Math.max(1, lineNo), `empty file: expected ${file.format === 'csv' ? 'a header "timestamp,value" and' : ''} data rows`);
    else if (!failed && ts.n === 0) problem(lineNo, 'no data rows');
    if (problems.length > 0) failed = true;
    if (!failed) await flush();
  } finally {
    lines.close();
    input.destroy();
    await new Promise<void>((resolve) => out.end(() => resolve()));
  }
  onProgress?.(file.bytes, ts.n);
  if (failed) rmSync(tmp, { force: true });
  else renameSync(tmp, outPath);
  return { file, ok: !failed, problems, rows: ts.n, out: failed ? undefined : outPath, ts: ts.done(), values: values.done(), scores: scores.done(), alert: alertCol.done(), alerts };

  function jsonlRow(line: string, n: number): boolean {
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch (err) {
      problem(n, `not valid JSON: ${(err as Error).message}`);
      return false;
    }
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
      problem(n, 'expected a JSON object per line');
      return false;
    }
    const o = obj as Record<string, unknown>;
    if ('payload' in o) {
      // A raw record of the config's stream ({"stream", "payload"}, as `flowwatch simulate` writes): decoded by the stream's mapping.
      if (failed) return true;
      const payload = o.payload;
      if (payload === null || typeof payload !== 'object') {
        problem(n, '"payload" must be a JSON object');
        return false;
      }
      return judge(null, payload as Record<string, unknown>, n, '', null);
    }
    const tRaw = o.ts ?? o.timestamp ?? o.time;
    const t = parseTimestamp(tRaw);
    if (typeof t === 'string') {
      problem(n, tRaw === undefined ? 'missing "timestamp" (or "ts")' : t);
      return false;
    }
    let vals: Record<string, number>;
    if (o.values !== undefined) {
      if (o.values === null || typeof o.values !== 'object') {
        problem(n, '"values" must be an object of numbers');
        return false;
      }
      vals = {};
      for (const [k, v] of Object.entries(o.values as Record<string, unknown>)) {
        if (typeof v !== 'number' || !Number.isFinite(v)) {
          problem(n, `values.${k}: expected a finite number, got ${JSON.stringify(v)}`);
          return false;
        }
        vals[k] = v;
      }
    } else {
      const v = typeof o.value === 'string' ? parseValue(o.value) : typeof o.value === 'number' && Number.isFinite(o.value) ? o.value : o.value === undefined ? 'missing "value"' : `value ${JSON.stringify(o.value)} is not a finite number`;
      if (typeof v === 'string') {
        problem(n, v);
        return false;
      }
      vals = { [target.measurement]: v };
    }
    const key = typeof o.key === 'string' || typeof o.key === 'number' ? String(o.key) : file.rel;
    if (!checkOrder(key, t, n)) return false;
    if (failed) return true;
    const attrs = o.attrs && typeof o.attrs === 'object' ? (o.attrs as Record<string, string>) : {};
    const tsText = typeof tRaw === 'string' ? tRaw : new Date(t).toISOString();
    return judge({ stream, key, ts: t, values: vals, attrs }, null, n, tsText, null);
  }
}

function firstValue(values: Record<string, number>): number {
  for (const k in values) return values[k];
  return NaN;
}

function csvField(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
