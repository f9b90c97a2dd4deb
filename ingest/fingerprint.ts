/**
 * 64-bit fingerprints of records, as two independent 32-bit halves (hi, lo), computed without
 * allocating: duplicate detection remembers 100k of them per stream and scope, and remembering
 * strings instead kept that many objects alive in the old generation.
 *
 * The input is a sequence of 32-bit words from an unambiguous encoding (strings are
 * length-prefixed, numbers are their 8 IEEE-754 bytes, the word count is mixed into the end), so
 * two different inputs differ in some word and only a hash collision — probability ~2⁻⁶⁴ per pair,
 * ~3e-10 among 100k remembered fingerprints — can make them equal.
 *
 * Each half is a MurmurHash3-style lane (multiply, rotate, multiply) with its own constants and
 * seed, finished with Murmur's fmix32 avalanche.
 */

import { fmix32 } from '../kernel/hash';
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

export class Fingerprinter {
  /** The fingerprint after end(). */
  hi = 0;
  lo = 0;
  private words = 0;

  /** Starts a fingerprint; `domain` separates kinds of input (record ids vs record contents). */
  begin(domain: number): this {
    this.hi = 0x9747b28c;
    this.lo = 0x2f6a3b1d;
    this.words = 0;
    return this.word(domain);
  }

  /** One 32-bit word into both lanes. */
  word(w: number): this {
    let k = Math.imul(w, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    let h = this.hi ^ k;
    h = (h << 13) | (h >>> 19);
    this.hi = (Math.imul(h, 5) + 0xe6546b64) | 0;

    let j = Math.imul(w, 0x85ebca6b);
    j = (j << 17) | (j >>> 15);
    j = Math.imul(j, 0xc2b2ae35);
    let g = this.lo ^ j;
    g = (g << 11) | (g >>> 21);
    this.lo = (Math.imul(g, 9) + 0x3c6ef372) | 0;

    this.words++;
    return this;
  }

  /** A string: its length, then its UTF-16 code units two per word. */
  string(s: string): this {
    const n = s.length;
    this.word(n);
    let i = 0;
    for (; i + 1 < n; i += 2) this.word(s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16));
    if (i < n) this.word(s.charCodeAt(i));
    return this;
  }

  /** A number by its bits; −0 counts as 0 (String(−0) is "0", and the old string identities said so). */
  number(x: number): this {
    f64[0] = x === 0 ? 0 : x;
    return this.word(u32[0]).word(u32[1]);
  }

  /** Finishes both lanes; the result is in hi and lo (unsigned). */
  end(): this {
    this.hi = fmix32(this.hi ^ this.words);
    this.lo = fmix32(this.lo ^ Math.imul(this.words, 0x27d4eb2f));
    return this;
  }
}
