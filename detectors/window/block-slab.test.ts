import { BlockSlab } from './block-slab';

it('hands out distinct blocks, keeps their contents as it grows, and reuses released ones', () => {
  const slab = new BlockSlab(300); // 2048 / 300 → the minimum of 4 blocks to start with
  const offs = Array.from({ length: 50 }, (_, i) => {
    const off = slab.alloc();
    slab.data.fill(i, off, off + 300);
    return off;
  });
  expect(new Set(offs).size).toBe(50);
  offs.forEach((off, i) => expect([slab.data[off], slab.data[off + 299]]).toEqual([i, i]));
  expect(slab.liveBlocks).toBe(50);
  slab.release(offs[7]);
  expect(slab.liveBlocks).toBe(49);
  expect(slab.alloc()).toBe(offs[7]);
  expect(slab.liveBlocks).toBe(50);
});
