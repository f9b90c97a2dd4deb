import type { FlowwatchConfig } from '../../config/schema';
import { FlowwatchError } from '../../kernel/errors';

/**
 * Most threads `run --threads` starts. Each one is a whole worker (a consumer, a pipeline, its own
 * heap of the keys of its partitions): past the cores of a large box, more only add rebalances.
 */
export const MAX_THREADS = 64;

/**
 * Why `run --threads n` cannot run this config (a usage error, exit 2), or nothing. Threads split
 * partitions through the Kafka consumer group, so every stream must read Kafka: a simulator or a
 * file has one reader and nothing to split (refused rather than ignored, so an operator who asked
 * for two cores learns at once that they will not get them). State must be in Redis: each thread
 * has its own memory, and a partition moving between threads in a rebalance would start again
 * from empty state; from Redis the new owner loads it, as a second process would.
 */
export function threadsProblem(config: Pick<FlowwatchConfig, 'streams' | 'state'>, n: number): string | undefined {
  if (!Number.isInteger(n) || n < 1 || n > MAX_THREADS) return `--threads: expected an integer from 1 to ${MAX_THREADS}, got ${n}`;
  if (n === 1) return undefined;
  const notKafka = Object.entries(config.streams).filter(([, s]) => s.source.type !== 'kafka');
  if (notKafka.length > 0) {
    const which = notKafka.map(([name, s]) => `${name} (${s.source.type})`).join(', ');
    return `--threads ${n}: only Kafka streams can be split between threads (the consumer group assigns each thread its partitions), but ${which} ${notKafka.length > 1 ? 'read' : 'reads'} from elsewhere; use --threads 1`;
  }
  if (config.state.backend !== 'redis')
    return `--threads ${n}: state.backend is "${config.state.backend}"; threads need state.backend: redis (a partition that moves to another thread loads its state from the store)`;
  return undefined;
}

/** threadsProblem as a usage error (exit 2), for the CLI. */
export function checkThreads(config: Pick<FlowwatchConfig, 'streams' | 'state'>, n: number): void {
  const problem = threadsProblem(config, n);
  if (problem) throw new FlowwatchError('FW_USAGE', problem);
}
