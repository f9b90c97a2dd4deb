import { mergeFollowing, skipUpTo, type KafkaSourceBatch } from './kafka-source';

const acked: string[] = [];
function batch(scope: string, from: number, n: number): { batch: KafkaSourceBatch } {
  const records = Array.from({ length: n }, (_, i) => ({ stream: 's', payload: `${scope}@${from + i}` }));
  return {
    batch: {
      records,
      timestamps: Float64Array.from(records, (_, i) => 1000 + from + i),
      scope,
      position: from + n - 1,
      ack: async () => void acked.push(`${scope}@${from + n - 1}`),
    },
  };
}

beforeEach(() => (acked.length = 0));

it('merges the queued batches of the same partition that follow, in offset order, and leaves the others queued', async () => {
  const queue = [batch('t:1', 0, 2), batch('t:0', 3, 2), batch('t:1', 2, 3), batch('t:0', 5, 1)];
  const first = batch('t:0', 0, 3).batch;
  const merged = mergeFollowing(first, queue);
  expect(merged.records.map((r) => r.payload)).toEqual(['t:0@0', 't:0@1', 't:0@2', 't:0@3', 't:0@4', 't:0@5']);
  expect([...merged.timestamps!]).toEqual([1000, 1001, 1002, 1003, 1004, 1005]);
  expect(merged.position).toBe(5);
  expect(queue.map((q) => q.batch.scope)).toEqual(['t:1', 't:1']);
  await merged.ack!();
  expect(acked).toEqual(['t:0@2', 't:0@4', 't:0@5']); // every part resolved, in order
});

it('returns a lone batch as it is', () => {
  const queue = [batch('t:1', 0, 2)];
  const first = batch('t:0', 0, 3).batch;
  expect(mergeFollowing(first, queue)).toBe(first);
  expect(queue).toHaveLength(1);
});

it('stops merging at the size limit', () => {
  const queue = [batch('t:0', 15_000, 10_000), batch('t:0', 25_000, 1_000)];
  const merged = mergeFollowing(batch('t:0', 0, 15_000).batch, queue);
  // 15k + 10k would pass 20k: that batch stays, and so does the one after it (offsets stay in order).
  expect(merged.records).toHaveLength(15_000);
  expect(queue).toHaveLength(2);
});

it('skips the records the state store already holds, with their offsets and timestamps', () => {
  const b = batch('t:0', 10, 5).batch;
  b.offsets = Float64Array.from([10, 11, 12, 13, 14]);
  skipUpTo(b, 12);
  expect(b.records.map((r) => r.payload)).toEqual(['t:0@13', 't:0@14']);
  expect([...b.offsets!]).toEqual([13, 14]);
  expect([...b.timestamps!]).toEqual([1013, 1014]);
  skipUpTo(b, 9); // nothing at or below 9: unchanged
  expect(b.records).toHaveLength(2);
});
