import { encodeLifecycle, isInitialLifecycle, type LifecycleState } from '../alerts/lifecycle';
import type { Detector } from '../detectors/types';
import { StateEncoder, nameToken } from '../state/codec';

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

/**
 * What writePersistedRow reads of a live row: per rule (indexed like `rules`) its state and its
 * lifecycle's fields; and what it keeps there, the row's head (see RowHead).
 */
export interface LiveRow extends RowHead {
  attrs: Record<string, string>;
  touched: number;
  entries: ReadonlyArray<({ state: unknown } & LifecycleState) | undefined>;
}

/**
 * A row's stored bytes up to its `touched` value — the row's object head, its attributes and the
 * name `touched` — kept between commits while the attributes object stays the same (the pipeline
 * keeps it while the values are unchanged). Attributes were ~16 % of the change set's time, written
 * again for every changed row of every commit though they rarely change (issue 22). Kept from the
 * second commit with the same attributes on: a key whose attributes change with every event (a
 * payment's counterparty) would otherwise make a string per commit for nothing. ~80 bytes per key.
 */
export interface RowHead {
  /** The attributes object the head was made from (null: none yet). */
  headOf: Record<string, string> | null;
  /** The bytes, as a one-byte string (StateEncoder.bytesSince); null: not kept. */
  head: string | null;
}

/** A rule as writePersistedRow needs it: its entry's constant bytes (entryBytes) and its detector. */
export interface RowRule {
  entryBytes: EntryBytes;
  detector: Detector<unknown>;
}

/**
 * The bytes that start a rule's entry in a row, up to its detector state: its name, the entry's
 * object head (one member, or two with a lifecycle) and `detector` — made once per rule.
 */
export interface EntryBytes {
  bare: Uint8Array;
  withLifecycle: Uint8Array;
  /** bare and withLifecycle followed by the detector's encodeHead, for Detector.encodeLed (null: it has none). */
  bareLed: Uint8Array | null;
  withLifecycleLed: Uint8Array | null;
}

export function entryBytes(rule: string, detector?: Detector<unknown>): EntryBytes {
  const head = (members: number) =>
    StateEncoder.fragment((e) => {
      e.key(rule);
      e.objectOf(members);
      e.key('detector');
    });
  const bare = head(1);
  const withLifecycle = head(2);
  const dh = detector?.encodeHead;
  const led = dh !== undefined && typeof detector?.encodeLed === 'function';
  const join = (a: Uint8Array) => {
    const out = new Uint8Array(a.length + dh!.length);
    out.set(a);
    out.set(dh!, a.length);
    return out;
  };
  return { bare, withLifecycle, bareLed: led ? join(bare) : null, withLifecycleLed: led ? join(withLifecycle) : null };
}

/** The row's head and first member name: {attrs: */
const ROW_HEAD = StateEncoder.fragment((e) => {
  e.objectOf(3);
  e.key('attrs');
});
const TOUCHED = nameToken('touched');
const ENTRIES = nameToken('entries');
const LIFECYCLE = nameToken('lifecycle');

/**
 * Writes a live row in its stored form straight into the encoder — the same bytes as encoding the
 * PersistedRow object (checked by worker/persisted-row.test.ts) without building it: one row per
 * changed key per commit was the worker's dearest allocation (issue 22). Member names are written
 * from bytes made once, and each detector and lifecycle writes its own fields in their fixed order
 * (Detector.encode, encodeLifecycle): a generic walk of every object was most of a row's cost.
 */
export function writePersistedRow(enc: StateEncoder, row: LiveRow, rules: ReadonlyArray<RowRule>, kept: KeptEntries | null = null): void {
  enc.begin();
  writeHead(enc, row);
  enc.number(row.touched);
  const form = kept === null ? -1 : kept.formOf(row, rules);
  if (form >= 0) {
    const bytes = kept!.bytes[form];
    if (bytes !== undefined) {
      enc.raw(bytes);
      return enc.end();
    }
  }
  const at = enc.position;
  enc.name(ENTRIES);
  const entries = enc.openObject();
  let n = 0;
  for (let j = 0; j < row.entries.length; j++) {
    const e = row.entries[j];
    if (e === undefined) continue;
    const rule = rules[j];
    const det = rule.detector;
    // Left out while in its initial state, as persistedRow() leaves it undefined.
    const initial = isInitialLifecycle(e);
    const eb = rule.entryBytes;
    // The entry's head and the detector's in one copy (Detector.encodeLed), when it has one.
    const lead = initial ? eb.bareLed : eb.withLifecycleLed;
    if (lead === null || !det.encodeLed!(e.state, enc, lead)) {
      enc.raw(initial ? eb.bare : eb.withLifecycle);
      if (det.encode) det.encode(e.state, enc);
      else enc.value(det.persist ? det.persist(e.state) : e.state);
    }
    if (!initial) {
      enc.name(LIFECYCLE);
      encodeLifecycle(e, enc);
    }
    n++;
  }
  enc.closeObject(entries, n);
  if (form >= 0) kept!.bytes[form] = enc.copySince(at);
  enc.end();
}

/** Most combinations of forms a stream keeps bytes for (4 rules of 3 forms, each entry present or not: 256). */
const MAX_KEPT_FORMS = 1024;

/**
 * A stream's kept `entries` bytes (issue 22): when every rule's detector writes one of a few
 * constant byte runs (Detector.encodedForm: a threshold's side) and every lifecycle is at rest
 * (left out), a row's whole `entries` member is fixed by the combination of forms — the same bytes
 * for every key of the stream in it. A container's three thresholds at rest were ~12 of a row's
 * writes for bytes that never changed; the member is now one copy. The forms are read from the
 * live state for every row written, so bytes kept under one form are never written for another.
 * Shared by the stream's keys: no bytes per key.
 */
export class KeptEntries {
  /** The `entries` member's bytes (its name included) per combination of forms (formOf). */
  readonly bytes: Array<Uint8Array | undefined> = [];

  private constructor(
    /** Per rule: its forms + 1 (0: no entry yet). */
    private readonly radix: Int32Array,
  ) {}

  /** For a stream's rules; null when one of them has no encodedForm or there are too many combinations. */
  static of(rules: ReadonlyArray<RowRule>): KeptEntries | null {
    const radix = new Int32Array(rules.length);
    let combinations = 1;
    for (let j = 0; j < rules.length; j++) {
      const d = rules[j].detector;
      const forms = d.encodedForms;
      if (typeof d.encodedForm !== 'function' || typeof d.encode !== 'function' || forms === undefined || !(forms > 0)) return null;
      radix[j] = forms + 1;
      combinations *= forms + 1;
      if (combinations > MAX_KEPT_FORMS) return null;
    }
    return rules.length > 0 ? new KeptEntries(radix) : null;
  }

  /** The row's combination of forms (an index into `bytes`); -1 when an entry has none or a lifecycle is not at rest. */
  formOf(row: LiveRow, rules: ReadonlyArray<RowRule>): number {
    const radix = this.radix;
    const entries = row.entries;
    let form = 0;
    for (let j = 0; j < radix.length; j++) {
      const e = j < entries.length ? entries[j] : undefined;
      let digit = 0;
      if (e !== undefined) {
        if (!isInitialLifecycle(e)) return -1;
        const f = rules[j].detector.encodedForm!(e.state);
        if (f < 0) return -1;
        digit = f + 1;
      }
      form = form * radix[j] + digit;
    }
    return form;
  }
}

/** The row's head (RowHead): from the kept bytes, or written and then kept if the attributes held since the last commit. */
function writeHead(enc: StateEncoder, row: LiveRow): void {
  const attrs = row.attrs;
  if (row.headOf === attrs && row.head !== null) return enc.latin1(row.head);
  const at = enc.position;
  enc.raw(ROW_HEAD);
  enc.strings(attrs);
  enc.name(TOUCHED);
  if (row.headOf === attrs) row.head = enc.bytesSince(at);
  else {
    row.headOf = attrs;
    row.head = null;
  }
}
