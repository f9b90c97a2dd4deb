import { fmix32 } from '../../kernel/hash';

/**
 * 32-bit string hash for the distinct sketch: FNV-1a over UTF-16 code units, then murmur3's fmix32
 * finalizer. FNV-1a alone is fast but its top bits (the HLL register index) barely change between
 * short, similar strings like "acct-1001"/"acct-1002"; the finalizer spreads every input bit.
 */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}
