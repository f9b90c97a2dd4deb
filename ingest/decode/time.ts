export type TimeFormat = 'auto' | 'epoch_s' | 'epoch_ms' | 'iso';

/** Epoch values below this are seconds, above are milliseconds (1e11 s is the year 5138; 1e11 ms is 1973). */
const MS_CUTOFF = 1e11;
const ISO_RE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** Returns epoch ms, or an error text saying what was expected. */
export function parseTime(v: unknown, format: TimeFormat): number | string {
  if (v === undefined || v === null || v === '') return 'missing time';
  // The machine-written ISO form first: the numeric-string test below is a regex run per event,
  // and such a string never passes it (same results, one regex fewer per ISO time; issue 22).
  if (typeof v === 'string' && format !== 'epoch_s' && format !== 'epoch_ms') {
    const fast = utcIsoMillis(v);
    if (fast === fast) return fast;
  }
  if (typeof v === 'number' || (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v))) {
    const n = typeof v === 'number' ? v : Number(v);
    if (!Number.isFinite(n)) return `time ${JSON.stringify(v)} is not a finite number`;
    if (format === 'iso') return `expected an ISO 8601 time, got number ${n}`;
    if (format === 'epoch_s') return Math.round(n * 1000);
    if (format === 'epoch_ms') return Math.round(n);
    return Math.abs(n) < MS_CUTOFF ? Math.round(n * 1000) : Math.round(n);
  }
  if (typeof v === 'string') {
    if (format === 'epoch_s' || format === 'epoch_ms')
      return `expected ${format === 'epoch_s' ? 'epoch seconds' : 'epoch milliseconds'}, got ${JSON.stringify(v)}`;
    if (!ISO_RE.test(v))
      return `expected an ISO 8601 time like "2026-11-27T08:00:00Z", got ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
    // A time without offset is read as UTC: stream clocks should not depend on the worker's zone.
    const t = Date.parse(/[Zz]|[+-]\d{2}:?\d{2}$/.test(v) || v.length <= 10 ? v : v + 'Z');
    return Number.isFinite(t) ? t : `unparsable time ${JSON.stringify(v)}`;
  }
  return `expected a time (epoch number or ISO 8601 string), got ${typeof v}`;
}

/** '0'..'9' at i as 0..9, or a value that pushes any sum out of range (NaN-free, branch-free). */
function digit(s: string, i: number): number {
  const d = s.charCodeAt(i) - 48;
  return d >= 0 && d <= 9 ? d : 1e9;
}

/**
 * The common machine-written form "YYYY-MM-DDTHH:MM:SS[.mmm]Z" read digit by digit; NaN for
 * anything else, which the regex and Date.parse then handle. Same result as Date.parse for every
 * string it accepts: it only takes days 1–28 (valid in every month) and years from 1970, where
 * both compute plain proleptic-Gregorian UTC.
 */
export function utcIsoMillis(s: string): number {
  const n = s.length;
  if ((n !== 20 && n !== 24) || s.charCodeAt(n - 1) !== 0x5a /* Z */) return NaN;
  if (
    s.charCodeAt(4) !== 0x2d ||
    s.charCodeAt(7) !== 0x2d ||
    s.charCodeAt(10) !== 0x54 ||
    s.charCodeAt(13) !== 0x3a ||
    s.charCodeAt(16) !== 0x3a
  )
    return NaN;
  const year = digit(s, 0) * 1000 + digit(s, 1) * 100 + digit(s, 2) * 10 + digit(s, 3);
  const month = digit(s, 5) * 10 + digit(s, 6);
  const day = digit(s, 8) * 10 + digit(s, 9);
  const hour = digit(s, 11) * 10 + digit(s, 12);
  const minute = digit(s, 14) * 10 + digit(s, 15);
  const second = digit(s, 17) * 10 + digit(s, 18);
  let ms = 0;
  if (n === 24) {
    if (s.charCodeAt(19) !== 0x2e) return NaN;
    ms = digit(s, 20) * 100 + digit(s, 21) * 10 + digit(s, 22);
    if (ms > 999) return NaN;
  }
  if (year < 1970 || year > 9999 || month < 1 || month > 12 || day < 1 || day > 28 || hour > 23 || minute > 59 || second > 59) return NaN;
  return (daysFromCivil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second) * 1000 + ms;
}

/** Days since 1970-01-01 of a proleptic-Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(y: number, m: number, d: number): number {
  if (m <= 2) y -= 1;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}
