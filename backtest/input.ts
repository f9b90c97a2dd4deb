import { parse as parseCsv } from 'csv-parse/sync';
import { readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { parseTime } from '../ingest/decode/time';

/** One input file of a backtest: where it is, its path relative to the input root, its format. */
export interface InputFile {
  abs: string;
  /** Relative to the input directory ("realTraffic/speed_1.csv"); the file name for a single-file input. */
  rel: string;
  format: 'csv' | 'jsonl';
  bytes: number;
}

const FORMATS: Record<string, 'csv' | 'jsonl'> = { '.csv': 'csv', '.jsonl': 'jsonl', '.ndjson': 'jsonl' };

/** The input file, or every .csv/.jsonl/.ndjson below a directory (recursively, hidden entries skipped), sorted by path. */
export function listInputs(input: string): InputFile[] {
  const st = statSync(input);
  if (st.isFile()) {
    const format = FORMATS[path.extname(input).toLowerCase()] ?? 'csv';
    return [{ abs: path.resolve(input), rel: path.basename(input), format, bytes: st.size }];
  }
  const out: InputFile[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      if (name.startsWith('.')) continue;
      const abs = path.join(dir, name);
      const s = statSync(abs);
      if (s.isDirectory()) walk(abs);
      else {
        const format = FORMATS[path.extname(name).toLowerCase()];
        if (format) out.push({ abs: path.resolve(abs), rel: path.relative(input, abs).split(path.sep).join('/'), format, bytes: s.size });
      }
    }
  };
  walk(input);
  return out;
}

/** A CSV header: where the timestamp and value columns are. */
export interface CsvHeader {
  timestamp: number;
  value: number;
  columns: number;
}

/** Parses the header line; a string says what is wrong. Column names are matched case-insensitively. */
export function parseCsvHeader(line: string): CsvHeader | string {
  const cols = splitCsvLine(line).map((c) => c.trim().toLowerCase());
  const timestamp = cols.indexOf('timestamp');
  const value = cols.indexOf('value');
  const missing = [timestamp < 0 ? 'timestamp' : '', value < 0 ? 'value' : ''].filter(Boolean);
  if (missing.length > 0)
    return `missing column${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(' and ')}: expected a header "timestamp,value", got ${JSON.stringify(line.length > 60 ? line.slice(0, 60) + '…' : line)}`;
  return { timestamp, value, columns: cols.length };
}

/** Splits one CSV line; quoted fields ("a,b", "say ""hi""") are left to csv-parse (plain lines take the fast path). */
export function splitCsvLine(line: string): string[] {
  if (line.indexOf('"') < 0) return line.split(',');
  try {
    const rows = parseCsv(line, { relax_quotes: true }) as string[][];
    return rows[0] ?? [''];
  } catch {
    return line.split(','); // unbalanced quotes: the column checks downstream report the line
  }
}

/** A numeric value as written in a file: finite numbers only. */
export function parseValue(text: string): number | string {
  const t = text.trim();
  if (t === '') return 'empty value';
  const n = Number(t);
  return Number.isFinite(n) ? n : `value ${JSON.stringify(t.length > 30 ? t.slice(0, 30) + '…' : t)} is not a finite number`;
}

/** A timestamp as written in a file ("2014-04-10 07:15:00", ISO 8601, epoch s or ms). */
export function parseTimestamp(text: unknown): number | string {
  const t = typeof text === 'string' ? text.trim() : text;
  const r = parseTime(t, 'auto');
  return typeof r === 'string' ? `timestamp: ${r}` : r;
}
