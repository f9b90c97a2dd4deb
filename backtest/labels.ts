import { readFileSync } from 'node:fs';
import { FlowwatchError } from '../kernel/errors';
import { parseTimestamp } from './input';

/** Labelled windows per file (relative path → [start, end] epoch ms), plus problems found in the labels file. */
export interface Labels {
  windows: Map<string, [number, number][]>;
  problems: string[];
}

/**
 * Reads a labels file in NAB's combined_windows.json format:
 *   { "realTraffic/speed_1.csv": [["2014-04-10 07:15:00.000000", "2014-04-11 16:45:00.000000"], ...], ... }
 * Keys are paths relative to the input directory (for a single-file input, its file name).
 * Problems (a key naming no input file, a malformed window) name the labels file and line; the
 * good entries are still used.
 */
export function readLabels(file: string, known: ReadonlySet<string>): Labels {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new FlowwatchError('FW_USAGE', `cannot read labels ${file}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`, {
      cause: err,
    });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new FlowwatchError('FW_USAGE', `${file}: not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new FlowwatchError('FW_USAGE', `${file}:1: expected an object of file path → list of [start, end] windows`);
  const windows = new Map<string, [number, number][]>();
  const problems: string[] = [];
  const lineOf = (key: string) => {
    const i = text.indexOf(JSON.stringify(key));
    return i < 0 ? 1 : text.slice(0, i).split('\n').length;
  };
  for (const [key, list] of Object.entries(raw as Record<string, unknown>)) {
    const at = `${file}:${lineOf(key)}`;
    if (!known.has(key)) {
      problems.push(`${at}: labels name "${key}", which is not an input file${suggest(key, known)}`);
      continue;
    }
    if (!Array.isArray(list)) {
      problems.push(`${at}: "${key}": expected a list of [start, end] windows`);
      continue;
    }
    const ws: [number, number][] = [];
    list.forEach((w, i) => {
      if (!Array.isArray(w) || w.length !== 2) {
        problems.push(`${at}: "${key}" window ${i + 1}: expected [start, end]`);
        return;
      }
      const a = parseTimestamp(w[0]);
      const b = parseTimestamp(w[1]);
      if (typeof a === 'string' || typeof b === 'string') {
        problems.push(`${at}: "${key}" window ${i + 1}: ${typeof a === 'string' ? a : b}`);
        return;
      }
      if (b < a) {
        problems.push(`${at}: "${key}" window ${i + 1}: ends before it starts`);
        return;
      }
      ws.push([a, b]);
    });
    ws.sort((p, q) => p[0] - q[0]);
    for (let i = 1; i < ws.length; i++) {
      if (ws[i][0] <= ws[i - 1][1]) problems.push(`${at}: "${key}": windows ${i} and ${i + 1} overlap`);
    }
    windows.set(key, ws);
  }
  return { windows, problems };
}

function suggest(key: string, known: ReadonlySet<string>): string {
  const base = key.split('/').pop();
  const near = [...known].filter((k) => k.split('/').pop() === base);
  return near.length > 0 ? ` (did you mean "${near[0]}"?)` : '';
}
