/**
 * MurmurHash3's 32-bit finalizer (fmix32): a bijective avalanche, so every input bit moves every
 * output bit. Shared by the dedup fingerprints, the distinct sketch and the simulator's
 * stateless randomness.
 */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
