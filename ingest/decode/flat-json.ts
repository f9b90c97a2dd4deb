/**
 * A fast path for the common payload: a flat JSON object (strings without escapes, numbers,
 * true/false/null) read straight from the bytes, materialising only the fields the stream's
 * mapping reads. Anything else — nesting, escapes, control characters, any syntax error — returns
 * null and the caller falls back to JSON.parse, which then decides (and words any error). So for
 * every input this path either yields exactly what JSON.parse would for the wanted fields, or
 * nothing.
 */

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
  /** The wanted fields of a flat JSON object, or null when the fast path does not apply. */
  read(buf: Buffer): Record<string, unknown> | null;
}

/** Builds a reader for the given top-level field names (names with dots cannot use it). */
export function flatReader(names: readonly string[]): FlatReader {
  const wanted = [...new Set(names)].map((n) => ({ name: n, bytes: Buffer.from(n, 'utf8') }));
  // Candidates by name length: matching a field name is a length check and a short compare.
  const byLength = new Map<number, typeof wanted>();
  for (const w of wanted) {
    const list = byLength.get(w.bytes.length) ?? [];
    list.push(w);
    byLength.set(w.bytes.length, list);
  }
  const maxLen = Math.max(0, ...wanted.map((w) => w.bytes.length));

  function match(buf: Buffer, a: number, b: number): string | null {
    const len = b - a;
    if (len > maxLen) return null;
    const list = byLength.get(len);
    if (list === undefined) return null;
    outer: for (let k = 0; k < list.length; k++) {
      const nb = list[k].bytes;
      for (let i = 0; i < len; i++) if (buf[a + i] !== nb[i]) continue outer;
      return list[k].name;
    }
    return null;
  }

  return {
    read(buf: Buffer): Record<string, unknown> | null {
      const n = buf.length;
      let i = 0;
      let c = 0;
      while (i < n && ((c = buf[i]) === 0x20 || c === 0x0a || c === 0x0d || c === 0x09)) i++;
      if (i >= n || buf[i] !== LBRACE) return null;
      i++;
      const rec: Record<string, unknown> = {};
      let first = true;
      for (;;) {
        while (i < n && ((c = buf[i]) === 0x20 || c === 0x0a || c === 0x0d || c === 0x09)) i++;
        if (i >= n) return null;
        c = buf[i];
        if (c === RBRACE) {
          if (!first) return null; // "{...,}" is not JSON; the comma branch below consumes real ends
          i++;
          break;
        }
        if (c !== QUOTE) return null;
        // Field name.
        const ka = i + 1;
        let kb = ka;
        for (;;) {
          if (kb >= n) return null;
          c = buf[kb];
          if (c === QUOTE) break;
          if (c === BACKSLASH || c < 0x20) return null;
          kb++;
        }
        i = kb + 1;
        const name = match(buf, ka, kb); // UTF-8 bytes against the wanted names' UTF-8 bytes
        while (i < n && ((c = buf[i]) === 0x20 || c === 0x0a || c === 0x0d || c === 0x09)) i++;
        if (i >= n || buf[i] !== COLON) return null;
        i++;
        while (i < n && ((c = buf[i]) === 0x20 || c === 0x0a || c === 0x0d || c === 0x09)) i++;
        if (i >= n) return null;
        c = buf[i];
        let value: unknown;
        if (c === QUOTE) {
          const va = i + 1;
          let vb = va;
          let high = false;
          for (;;) {
            if (vb >= n) return null;
            c = buf[vb];
            if (c === QUOTE) break;
            if (c === BACKSLASH || c < 0x20) return null;
            if (c >= 0x80) high = true;
            vb++;
          }
          i = vb + 1;
          if (name !== null) value = high ? buf.toString('utf8', va, vb) : buf.toString('latin1', va, vb);
        } else if (c === MINUS || (c >= ZERO && c <= NINE)) {
          const a = i;
          let neg = false;
          if (c === MINUS) {
            neg = true;
            i++;
            if (i >= n) return null;
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
          } else return null;
          if (i < n && buf[i] === DOT) {
            i++;
            const fa = i;
            while (i < n && (c = buf[i]) >= ZERO && c <= NINE) {
              mant = mant * 10 + (c - ZERO);
              digits++;
              i++;
            }
            frac = i - fa;
            if (frac === 0) return null;
          }
          if (i < n && ((c = buf[i]) === 0x65 || c === 0x45)) {
            simple = false;
            i++;
            if (i < n && ((c = buf[i]) === 0x2b || c === MINUS)) i++;
            const ea = i;
            while (i < n && (c = buf[i]) >= ZERO && c <= NINE) i++;
            if (i === ea) return null;
          }
          if (name !== null) {
            if (simple && digits <= 15 && frac <= 22) {
              const v = frac === 0 ? mant : mant / POW10[frac];
              value = neg ? -v : v;
            } else value = Number(buf.toString('latin1', a, i));
          }
        } else if (c === 0x74) {
          if (buf[i + 1] !== 0x72 || buf[i + 2] !== 0x75 || buf[i + 3] !== 0x65) return null;
          i += 4;
          value = true;
        } else if (c === 0x66) {
          if (buf[i + 1] !== 0x61 || buf[i + 2] !== 0x6c || buf[i + 3] !== 0x73 || buf[i + 4] !== 0x65) return null;
          i += 5;
          value = false;
        } else if (c === 0x6e) {
          if (buf[i + 1] !== 0x75 || buf[i + 2] !== 0x6c || buf[i + 3] !== 0x6c) return null;
          i += 4;
          value = null;
        } else return null; // nested object/array, or not JSON
        if (name !== null) rec[name] = value;
        first = false;
        while (i < n && ((c = buf[i]) === 0x20 || c === 0x0a || c === 0x0d || c === 0x09)) i++;
        if (i >= n) return null;
        c = buf[i];
        if (c === COMMA) {
          i++;
          while (i < n && ((c = buf[i]) === 0x20 || c === 0x0a || c === 0x0d || c === 0x09)) i++;
          if (i >= n || buf[i] !== QUOTE) return null; // a trailing comma is not JSON
          continue;
        }
        if (c === RBRACE) {
          i++;
          break;
        }
        return null;
      }
      while (i < n && ((c = buf[i]) === 0x20 || c === 0x0a || c === 0x0d || c === 0x09)) i++;
      return i === n ? rec : null;
    },
  };
}
