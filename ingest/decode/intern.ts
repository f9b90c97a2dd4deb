/**
 * Reuses the string already made for the same bytes, for fields whose values repeat (keys,
 * attributes: a few thousand gates, trucks, counterparties). Making a string from a Buffer is a
 * call into C++ and an allocation per event, and the key's fresh string must be hashed again for
 * every map lookup; a reused string has its hash cached and adds no garbage.
 *
 * Direct-mapped: one string per bucket, replaced on a miss, so memory is bounded and a value that
 * does not repeat costs one failed compare. Only single-byte (ASCII) text of moderate length is
 * cached, where bytes and UTF-16 code units are the same numbers.
 */

/** Enough for the attribute values of a stream (stations, gates, trucks, counterparties). */
export const DEFAULT_BUCKETS = 4096;
/**
 * For keys (tens of thousands per stream): with 4,096 buckets shared with the attributes, 10,000
 * keys over three streams found their string 60 % of the time and 34,500 keys (the backlog bench)
 * about a quarter; 65,536 buckets (512 KB per stream) keep most of them (issue 22).
 */
export const KEY_BUCKETS = 65536;
/** Longer values rarely repeat and cost more to compare. */
export const MAX_INTERNED_LENGTH = 64;

export class StringInterner {
  private readonly strings: string[];
  private readonly mask: number;

  /** `buckets`: a power of two. */
  constructor(buckets = DEFAULT_BUCKETS) {
    if (!(buckets > 0 && (buckets & (buckets - 1)) === 0)) throw new RangeError(`buckets must be a power of two, got ${buckets}`);
    this.strings = new Array<string>(buckets).fill('');
    this.mask = buckets - 1;
  }

  /** The text of buf[a, b), which must be ASCII and at most MAX_INTERNED_LENGTH bytes long. */
  get(buf: Buffer, a: number, b: number): string {
    const len = b - a;
    let h = 0x811c9dc5 ^ len;
    for (let i = a; i < b; i++) h = Math.imul(h ^ buf[i], 0x01000193);
    const bucket = (h ^ (h >>> 15)) & this.mask;
    const s = this.strings[bucket];
    if (s.length === len) {
      let i = 0;
      while (i < len && s.charCodeAt(i) === buf[a + i]) i++;
      if (i === len) return s;
    }
    const made = buf.toString('latin1', a, b);
    this.strings[bucket] = made;
    return made;
  }
}
