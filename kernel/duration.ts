import { z } from 'zod';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const DURATION_RE = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/;

/** Parses "250ms", "30s", "5m", "1h30m", "7d", "1w" into milliseconds; null when it is not a duration. */
export function parseDuration(text: string): number | null {
  let rest = text.trim();
  if (rest === '0') return 0;
  if (rest === '') return null;
  let total = 0;
  while (rest.length > 0) {
    const m = DURATION_RE.exec(rest);
    if (!m) return null;
    total += Number(m[1]) * UNIT_MS[m[2]];
    rest = rest.slice(m[0].length);
  }
  return Math.round(total);
}

/** Formats milliseconds back into the shortest readable duration ("90000" → "1m30s"). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  const parts: string[] = [];
  let rest = Math.round(ms);
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
    ['ms', 1],
  ] as const) {
    if (rest >= size) {
      const n = Math.floor(rest / size);
      parts.push(`${n}${unit}`);
      rest -= n * size;
    }
  }
  return parts.join('');
}

/** zod schema for a duration string; the parsed value is milliseconds. */
export function duration(opts: { min?: number; max?: number } = {}) {
  return z.union([z.string(), z.number()]).transform((v, ctx) => {
    const ms = typeof v === 'number' ? (v === 0 ? 0 : null) : parseDuration(v);
    if (ms === null) {
      ctx.addIssue({ code: 'custom', message: `expected a duration like "5m", got ${JSON.stringify(v)}` });
      return z.NEVER;
    }
    if (opts.min !== undefined && ms < opts.min) {
      ctx.addIssue({ code: 'custom', message: `expected a duration of at least ${formatDuration(opts.min)}, got ${JSON.stringify(v)}` });
      return z.NEVER;
    }
    if (opts.max !== undefined && ms > opts.max) {
      ctx.addIssue({ code: 'custom', message: `expected a duration of at most ${formatDuration(opts.max)}, got ${JSON.stringify(v)}` });
      return z.NEVER;
    }
    return ms;
  });
}
