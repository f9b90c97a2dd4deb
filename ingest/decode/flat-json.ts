/**
 * A fast path for the common payload: a flat JSON object (strings without escapes, numbers,
 * true/false/null) read straight from the bytes, materialising only the fields the stream's
 * mapping reads. Anything else — nesting, escapes, control characters, any syntax error — is
 * declined and the caller falls back to JSON.parse, which then decides (and words any error). So for
 * every input this path either yields exactly what JSON.parse would for the wanted fields, or
 * nothing.
 */

import { KEY_BUCKETS, MAX_INTERNED_LENGTH, StringInterner } from './intern';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

/** Exact powers of ten: mantissa / 10^k is correctly rounded for mantissa < 2^53 and k ≤ 22. */
const POW10 = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));

export interface FlatReader {
  /** The wanted names, deduplicated: name i is read into slot i. */
  readonly names: readonly string[];
  /**
   * Reads the wanted fields of a flat JSON object into `out` (slot i = names[i]; a field the
   * object lacks gets what reading it from a parsed object would: undefined, or what
   * Object.prototype has under that name). False when the fast path does not apply.
   */
  readInto(buf: Buffer, out: unknown[]): boolean;
  /** The wanted fields present in a flat JSON object, or null when the fast path does not apply. */
  read(buf: Buffer): Record<string, unknown> | null;
}

export interface FlatReaderOptions {
  /** Names whose string values repeat (keys, attributes): their strings are reused (see StringInterner). */
  intern?: readonly string[];
  /**
   * Of those, the names with many distinct values (a stream's keys): their strings get a table of
   * their own, larger, so they neither miss for lack of room nor push the attributes' values out.
   */
  internMany?: readonly string[];
}

/** Builds a reader for the given top-level field names (names with dots cannot use it). */
export function flatReader(names: readonly string[], options: FlatReaderOptions = {}): FlatReader {
  const unique = [...new Set(names)];
  const scanner = new FlatScanner(unique, new Set(options.intern ?? []), new Set(options.internMany ?? []));
  // A parsed object read at a missing name gives what its prototype has there (undefined for
  // ordinary names): slots start with that, so both ways of decoding see the same thing.
  const absent = unique.map((n) => (({}) as Record<string, unknown>)[n]);
  const NOT_SEEN = Symbol('not seen');
  const scratch: unknown[] = new Array(unique.length);
  return {
    names: unique,
    readInto(buf: Buffer, out: unknown[]): boolean {
      for (let k = 0; k < absent.length; k++) out[k] = absent[k];
      return scanner.scan(buf, out);
    },
    read(buf: Buffer): Record<string, unknown> | null {
      scratch.fill(NOT_SEEN);
      if (!scanner.scan(buf, scratch)) return null;
      const rec: Record<string, unknown> = {};
      for (let k = 0; k < unique.length; k++) if (scratch[k] !== NOT_SEEN) rec[unique[k]] = scratch[k];
      return rec;
    },
  };
}

interface Wanted {
  slot: number;
  bytes: Buffer;
}

/** The byte-level scan behind flatReader, for one set of wanted names. */
class FlatScanner {
  /** Candidates by name length (an array indexed by length): matching a field name is a length check and a short compare. */
  private readonly byLength: Array<Wanted[] | undefined>;
  private readonly maxLen: number;
  /** Where the slot's string values are interned: 0 not, 1 `interner`, 2 `manyInterner`. */
  private readonly internSlot: Uint8Array;
  private readonly interner = new StringInterner();
  private readonly manyInterner: StringInterner | null;

  constructor(unique: readonly string[], intern: ReadonlySet<string>, many: ReadonlySet<string>) {
    const wanted: Wanted[] = unique.map((n, slot) => ({ slot, bytes: Buffer.from(n, 'utf8') }));
    this.maxLen = Math.max(0, ...wanted.map((w) => w.bytes.length));
    this.byLength = new Array(this.maxLen + 1).fill(undefined);
    for (const w of wanted) (this.byLength[w.bytes.length] ??= []).push(w);
    this.internSlot = Uint8Array.from(unique, (n) => (many.has(n) ? 2 : intern.has(n) ? 1 : 0));
    this.manyInterner = many.size > 0 ? new StringInterner(KEY_BUCKETS) : null;
  }

  /** Slot of the wanted name in buf[a, b), or −1. */
  private match(buf: Buffer, a: number, b: number): number {
    const len = b - a;
    if (len > this.maxLen) return -1;
    const list = this.byLength[len];
    if (list === undefined) return -1;
    outer: for (let k = 0; k < list.length; k++) {
      const nb = list[k].bytes;
      for (let i = 0; i < len; i++) if (buf[a + i] !== nb[i]) continue outer;
      return list[k].slot;
    }
    return -1;
  }

  // Longer than the lint limit on purpose: this is the per-event hot path. Split into helpers
  // (member, string, number, literal), V8's inlining budget leaves the string and number readers
  // as calls, and it measured 12–17 % slower on realistic payloads (≈2× with a separate
  // validate-then-convert number pass); as one loop it runs as fast as before.
  /** Wanted values into their slots (others untouched); false when not a flat JSON object. */
  // eslint-disable-next-line max-lines-per-function -- one piece on purpose, see above
  scan(buf: Buffer, out: unknown[]): boolean {
    const n = buf.length;
    let i = 0;
    let c = 0;
    while (i < n && ((c = buf[i]) === 0x20 || c === 0x0a || c === 0x0d || c === 0x09)) i++;
    if (i >= n || buf[i] !== LBRACE) return false;
    i++;
    let first = true;
    for (;;) {
      while (i < n && ((c = buf[i]) === 0x20 || c === 0x0a || c === 0x0d || c === 0x09)) i++;
      if (i >= n) return false;
      c = buf[i];
      if (c === RBRACE) {
        if (!first) return false; // "{...,}" is not JSON; the comma branch below consumes real ends
        i++;
        break;
      }
      if (c !== QUOTE) return false;
      // Field name.
      const ka = i + 1;
      let kb = ka;
      for (;;) {
        if (kb >= n) return false;
        c = buf[kb];
        if (c === QUOTE) break;
        if (c === BACKSLASH || c < 0x20) return false;
        kb++;
      }
      i = kb + 1;
      const slot = this.match(buf, ka, kb); // UTF-8 bytes against the wanted names' UTF-8 bytes
      const intern = slot >= 0 ? this.internSlot[slot] : 0;
      while (i < n && ((c = buf[i]) === 0x20 || c === 0x0a || c === 0x0d || c === 0x09)) i++;
      if (i >= n || buf[i] !== COLON) return false;
      i++;
      while (i < n && ((c = buf[i]) === 0x20 || c === 0x0a || c === 0x0d || c === 0x09)) i++;
      if (i >= n) return false;
      c = buf[i];
      let value: unknown;
      if (c === QUOTE) {
        const va = i + 1;
        let vb = va;
        let high = false;
        for (;;) {
          if (vb >= n) return false;
          c = buf[vb];
          if (c === QUOTE) break;
          if (c === BACKSLASH || c < 0x20) return false;
          if (c >= 0x80) high = true;
          vb++;
        }
        i = vb + 1;
        if (slot >= 0)
          value = high
            ? buf.toString('utf8', va, vb)
            : intern !== 0 && vb - va <= MAX_INTERNED_LENGTH
              ? (intern === 2 ? this.manyInterner! : this.interner).get(buf, va, vb)
              : buf.toString('latin1', va, vb);
      } else if (c === MINUS || (c >= ZERO && c <= NINE)) {
        const a = i;
        let neg = false;
        if (c === MINUS) {
          neg = true;
          i++;
          if (i >= n) return false;
          c = buf[i];
        }
        let mant = 0;
        let digits = 0;
        let frac = 0;
        let simple = true;
        if (c === ZERO) {
          i++;
          digits = 1;
        } else if (c >= 0x31 && c <= NINE) {
          while (i < n && (c = buf[i]) >= ZERO && c <= NINE) {
            mant = mant * 10 + (c - ZERO);
            digits++;
            i++;
          }
        } else return false;
        if (i < n && buf[i] === DOT) {
          i++;
          const fa = i;
          while (i < n && (c = buf[i]) >= ZERO && c <= NINE) {
            mant = mant * 10 + (c - ZERO);
            digits++;
            i++;
          }
          frac = i - fa;
          if (frac === 0) return false;
        }
        if (i < n && ((c = buf[i]) === 0x65 || c === 0x45)) {
          simple = false;
          i++;
          if (i < n && ((c = buf[i]) === 0x2b || c === MINUS)) i++;
          const ea = i;
          while (i < n && (c = buf[i]) >= ZERO && c <= NINE) i++;
          if (i === ea) return false;
        }
        if (slot >= 0) {
          if (simple && digits <= 15 && frac <= 22) {
            const v = frac === 0 ? mant : mant / POW10[frac];
            value = neg ? -v : v;
          } else value = Number(buf.toString('latin1', a, i));
        }
      } else if (c === 0x74) {
        if (buf[i + 1] !== 0x72 || buf[i + 2] !== 0x75 || buf[i + 3] !== 0x65) return false;
        i += 4;
        value = true;
      } else if (c === 0x66) {
        if (buf[i + 1] !== 0x61 || buf[i + 2] !== 0x6c || buf[i + 3] !== 0x73 || buf[i + 4] !== 0x65) return false;
        i += 5;
        value = false;
      } else if (c === 0x6e) {
        if (buf[i + 1] !== 0x75 || buf[i + 2] !== 0x6c || buf[i + 3] !== 0x6c) return false;
        i += 4;
        value = null;
      } else return false; // nested object/array, or not JSON
      if (slot >= 0) out[slot] = value;
      first = false;
      while (i < n && ((c = buf[i]) === 0x20 || c === 0x0a || c === 0x0d || c === 0x09)) i++;
      if (i >= n) return false;
      c = buf[i];
      if (c === COMMA) {
        i++;
        while (i < n && ((c = buf[i]) === 0x20 || c === 0x0a || c === 0x0d || c === 0x09)) i++;
        if (i >= n || buf[i] !== QUOTE) return false; // a trailing comma is not JSON
        continue;
      }
      if (c === RBRACE) {
        i++;
        break;
      }
      return false;
    }
    while (i < n && ((c = buf[i]) === 0x20 || c === 0x0a || c === 0x0d || c === 0x09)) i++;
    return i === n;
  }
}
