import { FlowwatchError } from '../../kernel/errors';
import { formatDuration } from '../../kernel/duration';

/**
 * Pane arithmetic shared by every windowed structure (pane-window, the distinct sketch).
 *
 * A window of `windowMs` is cut into `panes = windowMs / slideMs` panes; pane p covers
 * [p·slide, (p+1)·slide) of event time. The window "at t" is the `panes` most recent panes,
 * ending with the pane that holds t — exactly the panes whose START lies in (t − window, t].
 * So it spans [start, t] with window − slide < t − start ≤ window: it may miss up to one slide
 * of the oldest events but never counts an event older than `window`, so a limit on it never
 * fires on events that are really outside the window. slide = window gives a tumbling window.
 *
 * State stores pane indices in a ring of `panes` slots (slot = pane mod panes); a slot whose
 * pane index is older than the window's first pane is stale and treated as empty.
 */
export interface PaneGeometry {
  readonly windowMs: number;
  readonly slideMs: number;
  readonly panes: number;
}

/**
 * Pane index stored in an empty slot. JSON-safe (unlike -Infinity) and older than any real pane.
 * -1e21 is the shortest such number in JSON ("-1e+21", where MIN_SAFE_INTEGER takes 17
 * characters): empty slots are most of a young window's persisted bytes. States persisted with
 * the old MIN_SAFE_INTEGER still read as empty (older than any live pane) and are rewritten.
 */
export const NO_PANE = -1e21;

/** "No event yet" for max-time fields; below every real time, so `ts > maxTs` needs no special case. */
export const NO_TIME = Number.MIN_SAFE_INTEGER;

/** Upper bound on panes per window: per-key memory grows linearly with it. */
export const MAX_PANES = 120;

/** Why (window, slide) is unusable, or null. Used by config schemas (as an issue) and here (as an error). */
export function slideProblem(windowMs: number, slideMs: number): string | null {
  if (!(windowMs > 0)) return 'window must be longer than 0';
  if (!(slideMs > 0)) return 'slide must be longer than 0';
  if (slideMs > windowMs) return `must be ≤ window (${formatDuration(windowMs)})`;
  const panes = windowMs / slideMs;
  if (!Number.isInteger(panes))
    return `must divide window (${formatDuration(windowMs)}) evenly, e.g. ${formatDuration(defaultSlide(windowMs, 10))}`;
  if (panes > MAX_PANES) return `window/slide = ${panes} panes; at most ${MAX_PANES} (memory per key grows with panes)`;
  return null;
}

/** The slide for `preferredPanes` panes, or the nearest smaller pane count that divides the window. */
export function defaultSlide(windowMs: number, preferredPanes: number): number {
  for (let n = preferredPanes; n > 1; n--) if (windowMs % n === 0) return windowMs / n;
  return windowMs;
}

export function paneGeometry(windowMs: number, slideMs: number): PaneGeometry {
  const problem = slideProblem(windowMs, slideMs);
  if (problem) throw new FlowwatchError('FW_CONFIG_INVALID', `slide ${formatDuration(slideMs)}: ${problem}`);
  return { windowMs, slideMs, panes: windowMs / slideMs };
}

export function paneOf(g: PaneGeometry, ts: number): number {
  return Math.floor(ts / g.slideMs);
}

export function slotOf(g: PaneGeometry, pane: number): number {
  const s = pane % g.panes;
  return s < 0 ? s + g.panes : s; // negative ts (pre-1970) still maps into the ring
}

/** Oldest pane index that belongs to the window at `at`. */
export function firstLivePane(g: PaneGeometry, at: number): number {
  return paneOf(g, at) - g.panes + 1;
}

/** Event-time start of the window at `at` (its end is `at`). */
export function windowStart(g: PaneGeometry, at: number): number {
  return firstLivePane(g, at) * g.slideMs;
}

/**
 * When a window whose newest event is at `maxTs` next changes without new events, after event
 * time `after`: the next pane boundary (a pane leaves the window there), up to and including the
 * boundary where the newest event's pane leaves and the window is empty; Infinity after that or
 * for a window that never held an event. Detectors use it as their event-time timer.
 */
export function nextDrain(g: PaneGeometry, maxTs: number, after: number): number {
  if (maxTs === NO_TIME) return Infinity;
  const from = after > maxTs ? after : maxTs;
  const next = (paneOf(g, from) + 1) * g.slideMs;
  const emptyAt = (paneOf(g, maxTs) + g.panes) * g.slideMs;
  return next <= emptyAt ? next : Infinity;
}
