import type { z } from 'zod';
import type { FlowEvent, Observation } from '../kernel/types';
import type { StateEncoder } from '../state/codec';

/**
 * A detector is pure: no I/O, no clock of its own. The pipeline keeps one state object per
 * (stream, detector, key), hands it to observe() with each event, and persists it between batches.
 *
 * State rules (so any store — memory, Redis — can hold it):
 *  - plain JSON: numbers, strings, booleans, arrays of numbers, nested plain objects; no Map/Set/typed arrays —
 *    or, for a detector with persist()/encode() and revive(), anything it owns: the windowed detectors'
 *    state holds the offset of the key's block in a slab of the detector's (window/block-slab.ts), given
 *    back with release();
 *  - bounded: fixed-size rings, running sums, sketches — never a growing list of past events;
 *  - mutated in place by observe()/advance() (allocation-free hot loop).
 */
export interface Detector<S = unknown> {
  readonly type: string;
  /** Fresh state for a key seen for the first time (the first event is passed for its time). */
  init(first: FlowEvent): S;
  /** Judge one event. null = no opinion yet (warm-up, measurement absent in this event). */
  observe(state: S, e: FlowEvent): Observation | null;
  /**
   * The verdict at event time `at` without a new event: windows drain, silence grows. Called by
   * the pipeline at the times nextTimer() names (event-time timers), in order, never with a time
   * before one already judged. Only detectors whose verdict can change without events implement it.
   */
  advance?(state: S, at: number): Observation | null;
  /**
   * Optional, for speed: observe() written into `out` (made by newObservation(), reused from event
   * to event and key to key) instead of a new object — true when there is a verdict, false for
   * null (out is then left as it was). The same verdict as observe() gives; the caller copies it
   * (copyObservation) before keeping it past the next call. Three small objects per detector and
   * event were most of the worker's garbage (issue 22).
   */
  observeInto?(state: S, e: FlowEvent, out: Observation): boolean;
  /** A blank observation of this detector's shape, for observeInto(). */
  newObservation?(): Observation;
  /**
   * The earliest event time after `after` at which advance() may give a different verdict than
   * the last one (Infinity: none until the next event). Pure arithmetic on the state: the
   * pipeline asks after every event of the key, so it must cost next to nothing. Results depend
   * only on the key's own records because timers fire at these exact times — before any later
   * event of the key at or after them, or once the partition's watermark passes them — however
   * the records were batched or how far the worker lags.
   */
  nextTimer?(state: S, after: number): number;
  /**
   * The form a store keeps, when it differs from the state (e.g. only the live panes of a
   * window); plain JSON. Without it the state itself is stored.
   */
  persist?(state: S): unknown;
  /**
   * Optional, for speed: writes into a commit's encoder exactly what encoding persist(state) writes,
   * without building the persisted form (the pipeline commits every changed key's state).
   */
  encode?(state: S, enc: StateEncoder): void;
  /**
   * Optional, with encodeLed(), for speed: the constant bytes encode() starts with (its object's
   * head and first member name). A row's writer joins them once per rule to the bytes of the
   * rule's entry that precede the state (worker/persisted-row.ts EntryBytes): one copy per entry
   * instead of two (issue 22).
   */
  readonly encodeHead?: Uint8Array;
  /**
   * encode(state) led by `lead` (bytes that end with encodeHead) instead of encodeHead alone: writes
   * lead, then the rest of what encode() writes, and returns true; or returns false having written
   * nothing when encode() would not start with encodeHead (a state restored as it was).
   */
  encodeLed?(state: S, enc: StateEncoder, lead: Uint8Array): boolean;
  /**
   * Optional, with encodedForm(), for speed: how many distinct byte runs encode() can write for
   * the states encodedForm() names (a threshold's side: −1, 0 or 1). A stream whose every detector
   * says so keeps the bytes of its rows' whole `entries` member per combination of forms
   * (worker/persisted-row.ts KeptEntries), instead of writing each entry again for every commit.
   */
  readonly encodedForms?: number;
  /**
   * Which of the encodedForms byte runs encode(state) writes now (0 ≤ form < encodedForms), or -1
   * when the state is not one of them: its bytes are written then. The form must determine the
   * bytes exactly — it is what tells kept bytes from stale ones.
   */
  encodedForm?(state: S): number;
  /** The state from what persist() returned; null when it cannot be used (the key starts afresh). */
  revive?(stored: unknown): S | null;
  /**
   * The key's state is dropped (idle, its partition moved away, replaced by a restore) and never
   * used again: a detector whose states live in storage of its own (a slab) takes it back.
   */
  release?(state: S): void;
}

/** Context a factory gets besides its own config. */
export interface DetectorContext {
  stream: string;
  /** Unique detector name within the stream (config `name`, or `<type>` / `<type>-<index>`). */
  name: string;
  /** Measurement names the stream's events carry (mapping + derived); expressions may use only these. */
  measurements?: readonly string[];
}

/** One registry row: config schema + factory. The whole-config schema is the union of these schemas. */
export interface DetectorFactory<C = unknown> {
  type: string;
  /** One-line description for `flowwatch detectors` and the docs. */
  description: string;
  schema: z.ZodType<C>;
  create(config: C, ctx: DetectorContext): Detector<unknown>;
}
