import { formatDuration } from '../kernel/duration';

/**
 * Real history has the quirks of every live stream: two rows at the same minute, rows out of
 * order, a sensor's clock that jumps back and carries on, gaps of days. The backtest judges them
 * the way a live worker would — every row goes through the pipeline's admission — and counts what
 * happened, for one line per file. This module keeps the per-series bookkeeping; the policy is in
 * docs/backtest.md ("Quirks of real history").
 */

/** A clock that jumped back beyond the lateness and was continued (see SeriesClock.place). */
export interface ClockJump {
  /** Series key (the file's own for a CSV). */
  key: string;
  /** How far the clock went back: the shift applied to the key's later rows, ms. */
  size: number;
  /** The line where the clock went back (that row is dropped as late: one row cannot tell a jump from a straggler). */
  line: number;
  /** First and last line judged on the continued clock with this shift. */
  from: number;
  to: number;
}

/** What admission and the clock policy did in one file; all zero for a clean file. */
export class QuirkCounts {
  /** Judged rows whose time equals the key's latest (different values: both are judged). */
  duplicateTimestamps = 0;
  /** Rows dropped by admission as duplicates (same id, or same key, time and values). */
  exactDuplicates = 0;
  /** Judged rows behind the key's latest time, within the lateness. */
  outOfOrder = 0;
  /** Rows dropped as late (behind the watermark by more than the lateness), jumps' first rows included. */
  late = 0;
  jumps: ClockJump[] = [];
  /** Gaps longer than GAP_INTERVALS sampling intervals, and the longest, ms. */
  gaps = 0;
  longestGap = 0;

  /** The per-file note, or null when nothing happened. `singleKey`: the file is one series (no key names); `rows`: all of its rows. */
  note(singleKey: boolean, lateness: number, rows: number): string | null {
    const parts: string[] = [];
    const n = (count: number, one: string, many = `${one}s`) => `${count} ${count === 1 ? one : many}`;
    if (this.duplicateTimestamps > 0) parts.push(`${n(this.duplicateTimestamps, 'duplicate timestamp')} judged`);
    if (this.exactDuplicates > 0) parts.push(`${n(this.exactDuplicates, 'exact duplicate')} dropped`);
    if (this.outOfOrder > 0) parts.push(`${n(this.outOfOrder, 'out-of-order row')} judged`);
    if (this.late > 0) {
      // A file newest-first has every row but the first late: say what the likely cause is.
      const hint = this.late * 2 > rows ? '; most rows are late: is the file in time order?' : '';
      parts.push(`${n(this.late, 'late row')} dropped (more than ${formatDuration(lateness)} behind the latest time${hint})`);
    }
    for (const j of this.jumps) {
      const on = singleKey ? '' : ` on key ${j.key}`;
      const judged = j.to >= j.from ? `lines ${j.from}–${j.to} judged on a continued clock` : 'no later rows';
      parts.push(`1 clock jump back of ${formatDuration(j.size)}${on} at line ${j.line} (${judged})`);
    }
    if (this.gaps > 0)
      parts.push(
        `${n(this.gaps, 'gap')} over ${GAP_INTERVALS} sampling intervals (longest ${formatDuration(this.longestGap)}) judged as is`,
      );
    return parts.length > 0 ? parts.join(', ') : null;
  }
}

/** A gap this many times the sampling interval is worth a mention (a day of a 5-minute series is 288). */
export const GAP_INTERVALS = 12;
/** Gaps that set the sampling interval (their median), as the univariate profile learns it. */
const INTERVAL_SAMPLES = 15;

/**
 * One series' clock as the backtest continues it. Admission keeps a watermark (max event time −
 * lateness); a row behind it is late, as live. A *clock jump back* is a late row followed by a
 * row that is late too and continues from it (not from the old clock): the series' clock was
 * reset. From that second row on, the key's rows are judged shifted forward by the size of the
 * jump — the jump's first row lands one sampling interval after the latest time — so the series stays
 * monotonic for the detectors, which keep what they learned; outputs keep the original
 * timestamps. One late row alone (a straggler) stays late: live would drop it too. Deciding on
 * the second row, not by looking ahead, keeps the backtest causal (a row's score depends only on
 * the rows before it).
 */
export class SeriesClock {
  /** Shift added to the key's times, ms (sum of the jumps so far). */
  private shift = 0;
  /** Highest admitted event time (shifted) and the step that led to it. */
  private max = -Infinity;
  private step = 0;
  /** Sampling interval (median of the first gaps), 0 while unknown. */
  private interval = 0;
  private gapSamples: number[] = [];
  /** A late row that may be the start of a clock jump: its own time and line. */
  private candidate: { ts: number; line: number } | null = null;
  private jump: ClockJump | null = null;
  /** Shifted time from which each shift holds: maps alert times back to the file's clock. */
  private readonly segments: Array<{ from: number; shift: number }> = [];

  constructor(
    readonly key: string,
    private readonly lateness: number,
    /**
     * Series (CSV, JSONL values and events) get the jump policy and gap notes; raw records are
     * judged exactly as a live partition would (no shift), and their keys are entities whose
     * records come when they come (a quiet account is no gap).
     */
    private readonly series: boolean,
  ) {}

  /** The jump the last placed row confirmed (the shift changed at it), else null. */
  confirmed: ClockJump | null = null;

  /** The event time to judge a row at (its own time `ts`, on input line `line`): its time plus the series' shift. */
  place(ts: number, line: number): number {
    let at = ts + this.shift;
    this.confirmed = null;
    if (at < this.max - this.lateness) {
      const c = this.candidate;
      if (this.series && c !== null && ts >= c.ts) {
        // The clock went back at the candidate and carries on from it: continue it one step after the
        // latest time (the sampling interval once known: the last step may have been a gap).
        const size = this.max + (this.interval > 0 ? this.interval : this.step) - (c.ts + this.shift);
        this.shift += size;
        at = ts + this.shift;
        this.segments.push({ from: at, shift: this.shift });
        this.confirmed = this.jump = { key: this.key, size, line: c.line, from: line, to: line };
        this.candidate = null;
      } else this.candidate = { ts, line };
    } else {
      this.candidate = null;
      if (this.jump !== null) this.jump.to = line;
    }
    return at;
  }

  /** Admission took the row (at shifted time `at`): counts what kind of row it was. */
  admitted(at: number, counts: QuirkCounts): void {
    const prev = this.max;
    if (at === prev) counts.duplicateTimestamps++;
    else if (at < prev) counts.outOfOrder++;
    else {
      if (prev > -Infinity) {
        const gap = at - prev;
        this.step = gap;
        if (this.series) this.learnInterval(gap);
        if (this.interval > 0 && gap > GAP_INTERVALS * this.interval) {
          counts.gaps++;
          if (gap > counts.longestGap) counts.longestGap = gap;
        }
      }
      this.max = at;
    }
  }

  /** The file's own time of a time on the continued clock (an alert's start or end). */
  original(at: number): number {
    for (let i = this.segments.length - 1; i >= 0; i--) if (at >= this.segments[i].from) return at - this.segments[i].shift;
    return at;
  }

  get shifted(): boolean {
    return this.segments.length > 0;
  }

  private learnInterval(gap: number): void {
    if (this.interval > 0) return;
    this.gapSamples.push(gap);
    if (this.gapSamples.length < INTERVAL_SAMPLES) return;
    const sorted = this.gapSamples.sort((a, b) => a - b);
    this.interval = sorted[sorted.length >> 1];
    this.gapSamples = [];
  }
}
