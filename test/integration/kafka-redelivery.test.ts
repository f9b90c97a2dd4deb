/**
 * A batch handler that fails (the state store's position could not be read) must not stop the
 * source, lose the partition's records, or make it hand records over twice within one group
 * generation: kafkajs issue #946 reports partitions consumed concurrently being fetched again
 * from their committed offsets after one handler threw. Twice-handed records would be counted
 * twice once they fall outside the duplicate filter's window.
 */
import { silentLogger } from '../../kernel/logger';
import { KafkaSource } from '../../ingest/sources/kafka-source';
import type { SourceBatch } from '../../ingest/sources/types';
import { brokers, createTopics, kcatProduce, uniqueName } from '../support/kafka';

jest.setTimeout(120_000);

it('goes on after a failed batch handler and hands every record over once per group generation', async () => {
  const topic = uniqueName('redeliver');
  await createTopics([topic], 4);
  const lines: Array<[string, string]> = [];
  for (let i = 0; i < 2000; i++) lines.push([`k${i % 40}`, JSON.stringify({ k: `k${i % 40}`, i })]);
  kcatProduce(topic, lines);

  let failed = false;
  let firstScope: string | null = null;
  const source = new KafkaSource({
    connection: { brokers: brokers(), clientId: 'flowwatch-test' },
    groupId: uniqueName('redeliver-group'),
    topics: new Map([[topic, 'funds']]),
    fromBeginning: true,
    log: silentLogger(),
    // The second partition to be looked up fails once, after the first one's records are queued:
    // its handler throws, and kafkajs fetches the other partitions again from the committed
    // offsets (none yet: from the beginning).
    appliedPosition: async (scope) => {
      if (firstScope === null) firstScope = scope;
      else if (!failed && scope !== firstScope) {
        await new Promise((r) => setTimeout(r, 300));
        failed = true;
        throw new Error('state store hiccup');
      }
      return null;
    },
  });
  // Offsets handed over per partition in the current generation; a rebalance starts a new one.
  let seen = new Map<string, Set<number>>();
  const twice: string[] = [];
  source.onRebalance(() => (seen = new Map()));
  let total = 0;
  let stopping = false;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 20_000);
  for await (const b of source.batches(controller.signal) as AsyncIterable<SourceBatch & { offsets?: Float64Array }>) {
    const scope = b.scope!;
    let set = seen.get(scope);
    if (!set) seen.set(scope, (set = new Set()));
    for (const o of b.offsets!) {
      if (set.has(o)) twice.push(`${scope}@${o}`);
      set.add(o);
    }
    total = [...seen.values()].reduce((n, s) => n + s.size, 0);
    // Everything is in: keep reading a little longer for anything handed over again, then stop.
    if (total >= 2000 && failed && !stopping) {
      stopping = true;
      setTimeout(() => controller.abort(), 1500);
    }
  }
  clearTimeout(timer);
  expect(failed).toBe(true);
  expect(twice.slice(0, 5)).toEqual([]);
  expect(total).toBe(2000);
});
