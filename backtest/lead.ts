/**
 * Lead time per labelled window (docs/backtest.md, docs/forecast.md): how long before a window's
 * start the alert in force there began. For early warnings (`type: forecast`) label the breach —
 * the window starts when the limit is crossed — and a positive lead is the warning's head start.
 */

/** One window's lead: ms before the window's start (negative: the first alert came that late inside it); null: no alert in it. */
export interface WindowLead {
  file: string;
  start: number;
  leadMs: number | null;
}

/**
 * For each window [a, b] of each series: the alert run (consecutive alert rows) in force at the
 * window's first row, and the lead = window start − the run's first row's time; when none is in
 * force there, the first alert row inside the window (a negative lead); none: null. Every window
 * counts (no probation: a lead is about one incident, not a score over the file).
 */
export function windowLeads(
  series: readonly { name: string; ts: ArrayLike<number>; alert: ArrayLike<number>; windows: readonly (readonly [number, number])[] }[],
): WindowLead[] {
  const out: WindowLead[] = [];
  for (const s of series) {
    const n = s.ts.length;
    for (const [a, b] of s.windows) {
      // First row at or after the window's start (rows are in file order, times mostly rising).
      let i = 0;
      while (i < n && s.ts[i] < a) i++;
      let lead: number | null = null;
      if (i < n && s.ts[i] <= b) {
        if (s.alert[i] === 1) {
          let j = i;
          while (j > 0 && s.alert[j - 1] === 1) j--;
          lead = a - s.ts[j];
        } else {
          for (let k = i; k < n && s.ts[k] <= b; k++) {
            if (s.alert[k] === 1) {
              lead = a - s.ts[k];
              break;
            }
          }
        }
      }
      out.push({ file: s.name, start: a, leadMs: lead });
    }
  }
  return out;
}

/** "lead time per labelled window: 3 of 4 warned ahead, median 12m; file@start +12m, ..." (at most `max` listed). */
export function describeLeads(leads: readonly WindowLead[], fmt: (ms: number) => string, max = 20): string {
  if (leads.length === 0) return 'lead time per labelled window: no windows';
  const known = leads
    .filter((l) => l.leadMs !== null)
    .map((l) => l.leadMs!)
    .sort((x, y) => x - y);
  const ahead = known.filter((l) => l > 0).length;
  const mid =
    known.length === 0
      ? null
      : known.length % 2
        ? known[(known.length - 1) / 2]
        : (known[known.length / 2 - 1] + known[known.length / 2]) / 2;
  const sign = (ms: number) => (ms >= 0 ? `+${fmt(ms)}` : `-${fmt(-ms)}`);
  const list = leads
    .slice(0, max)
    .map((l) => `${l.file}@${new Date(l.start).toISOString()} ${l.leadMs === null ? 'missed' : sign(l.leadMs)}`);
  const more = leads.length > max ? `, … ${leads.length - max} more` : '';
  return `lead time per labelled window (+ = alert before the window's start): ${ahead} of ${leads.length} alerted ahead, ${leads.length - known.length} missed, median ${mid === null ? '—' : sign(mid)}; ${list.join(', ')}${more}`;
}
