import type { LifecycleState } from '../alerts/lifecycle';
import type { Detector } from '../detectors/types';
import type { StateEncoder } from '../state/codec';

/**
 * The stored form of one key's row (plain JSON, one state-store field per key): its attributes,
 * its last event time and one entry per rule, by rule name. docs/state.md describes the layout.
 */
export interface PersistedRow {
  attrs: Record<string, string>;
  touched: number;
  entries: Record<string, PersistedEntry>;
}

/** One rule's state for the key. */
export interface PersistedEntry {
  /** The detector's state, in its persisted form (Detector.persist). */
  detector: unknown;
  /** Left out (undefined: JSON drops it) while the lifecycle is in its initial state. */
  lifecycle?: LifecycleState;
}

/**
 * The previous layout (written before issue 16): the same content under one-letter names (`e`
 * entries, `d` detector state, `l` lifecycle). Read, never written: a store written by the
 * previous release is taken over without a conversion step, and each row is stored in the current
 * layout from its next commit on (docs/state.md).
 */
interface PreviousRow {
  attrs?: Record<string, string>;
  touched?: number;
  e: Record<string, { d: unknown; l?: LifecycleState } | null | undefined>;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/**
 * A stored row in the current layout, whichever layout it was written in; null when the value
 * is not a row (another kind of entry, or damaged). Entries are as stored: the caller checks each.
 */
export function readPersistedRow(value: unknown): PersistedRow | null {
  if (!isObject(value)) return null;
  const attrs = (value.attrs as Record<string, string> | undefined) ?? {};
  const touched = (value.touched as number | undefined) ?? 0;
  if (isObject(value.entries)) return { attrs, touched, entries: value.entries as Record<string, PersistedEntry> };
  if (!isObject(value.e)) return null;
  // No prototype: a rule named like an Object member ("constructor") is looked up as itself.
  const entries: Record<string, PersistedEntry> = Object.create(null);
  for (const [rule, entry] of Object.entries((value as unknown as PreviousRow).e)) {
    entries[rule] = isObject(entry) ? { detector: entry.d, lifecycle: entry.l } : (entry as unknown as PersistedEntry);
  }
  return { attrs, touched, entries };
}

/** What writePersistedRow reads of a live row: per rule (indexed like `rules`) its state and lifecycle. */
export interface LiveRow {
  attrs: Record<string, string>;
  touched: number;
  entries: ReadonlyArray<{ state: unknown; lifecycle: LifecycleState } | undefined>;
}

/**
 * Writes a live row in its stored form straight into the encoder — the same bytes as encoding the
 * PersistedRow object (checked by worker/persisted-row.test.ts) without building it: one row per
 * changed key per commit was the worker's dearest allocation (issue 22).
 */
export function writePersistedRow(
  enc: StateEncoder,
  row: LiveRow,
  rules: ReadonlyArray<{ name: string; detector: Detector<unknown> }>,
): void {
  enc.begin();
  const top = enc.openObject();
  enc.key('attrs');
  enc.value(row.attrs);
  enc.key('touched');
  enc.number(row.touched);
  enc.key('entries');
  const entries = enc.openObject();
  let n = 0;
  for (let j = 0; j < row.entries.length; j++) {
    const e = row.entries[j];
    if (e === undefined) continue;
    const det = rules[j].detector;
    enc.key(rules[j].name);
    const entry = enc.openObject();
    enc.key('detector');
    if (det.encode) det.encode(e.state, enc);
    else enc.value(det.persist ? det.persist(e.state) : e.state);
    const l = e.lifecycle;
    // Left out while in its initial state, as persistedRow() leaves it undefined.
    if (l.phase === 0 && l.since === 0 && l.peak === 0) enc.closeObject(entry, 1);
    else {
      enc.key('lifecycle');
      enc.value(l);
      enc.closeObject(entry, 2);
    }
    n++;
  }
  enc.closeObject(entries, n);
  enc.closeObject(top, 3);
  enc.end();
}
