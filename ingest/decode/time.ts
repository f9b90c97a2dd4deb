export type TimeFormat = 'auto' | 'epoch_s' | 'epoch_ms' | 'iso';

/** Epoch values below this are seconds, above are milliseconds (1e11 s is the year 5138; 1e11 ms is 1973). */
const MS_CUTOFF = 1e11;
const ISO_RE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** Returns epoch ms, or an error text saying what was expected. */
export function parseTime(v: unknown, format: TimeFormat): number | string {
  if (v === undefined || v === null || v === '') return 'missing time';
  if (typeof v === 'number' || (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v))) {
    const n = typeof v === 'number' ? v : Number(v);
    if (!Number.isFinite(n)) return `time ${JSON.stringify(v)} is not a finite number`;
    if (format === 'iso') return `expected an ISO 8601 time, got number ${n}`;
    if (format === 'epoch_s') return Math.round(n * 1000);
    if (format === 'epoch_ms') return Math.round(n);
    return Math.abs(n) < MS_CUTOFF ? Math.round(n * 1000) : Math.round(n);
  }
  if (typeof v === 'string') {
    if (format === 'epoch_s' || format === 'epoch_ms') return `expected ${format === 'epoch_s' ? 'epoch seconds' : 'epoch milliseconds'}, got ${JSON.stringify(v)}`;
    if (!ISO_RE.test(v)) return `expected an ISO 8601 time like "2026-11-27T08:00:00Z", got ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
    // A time without offset is read as UTC: stream clocks should not depend on the worker's zone.
    const t = Date.parse(/[Zz]|[+-]\d{2}:?\d{2}$/.test(v) || v.length <= 10 ? v : v + 'Z');
    return Number.isFinite(t) ? t : `unparsable time ${JSON.stringify(v)}`;
  }
  return `expected a time (epoch number or ISO 8601 string), got ${typeof v}`;
}
