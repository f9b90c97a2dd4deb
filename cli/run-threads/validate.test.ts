import { validateConfig } from '../../config/load';
import { isFlowwatchError } from '../../kernel/errors';
import { checkThreads, MAX_THREADS, threadsProblem } from './validate';

const mapping = { key: 'k', time: { field: 't', format: 'epoch_ms' }, measurements: ['v'] };
const detectors = [{ type: 'rate', name: 'count', window: '1h', above: 10 }];

function config(o: { sources: Array<Record<string, unknown>>; backend?: 'memory' | 'redis' }) {
  const streams = Object.fromEntries(o.sources.map((source, i) => [`s${i}`, { source, mapping, detectors }]));
  return validateConfig({ streams, kafka: { brokers: ['127.0.0.1:9092'] }, state: { backend: o.backend ?? 'redis' } });
}

const kafka = { type: 'kafka', topics: ['t'] };

describe('run --threads validation', () => {
  it('accepts one thread whatever the sources and state, and N threads over Kafka streams with Redis state', () => {
    expect(threadsProblem(config({ sources: [{ type: 'file', path: 'x.jsonl' }], backend: 'memory' }), 1)).toBeUndefined();
    expect(threadsProblem(config({ sources: [kafka, kafka] }), 2)).toBeUndefined();
    expect(threadsProblem(config({ sources: [kafka] }), MAX_THREADS)).toBeUndefined();
  });

  it.each([0, -1, 1.5, MAX_THREADS + 1])('refuses %p threads, naming the range', (n) => {
    expect(threadsProblem(config({ sources: [kafka] }), n)).toBe(`--threads: expected an integer from 1 to ${MAX_THREADS}, got ${n}`);
  });

  it('refuses more than one thread when a stream does not read Kafka, naming the stream and its source', () => {
    const problem = threadsProblem(config({ sources: [kafka, { type: 'file', path: 'x.jsonl' }] }), 2);
    expect(problem).toMatch(/^--threads 2: only Kafka streams can be split between threads/);
    expect(problem).toContain('s1 (file) reads from elsewhere; use --threads 1');
    expect(problem).not.toContain('s0');
  });

  it('refuses more than one thread with state in memory (a partition moving between threads would lose it)', () => {
    expect(threadsProblem(config({ sources: [kafka], backend: 'memory' }), 3)).toBe(
      '--threads 3: state.backend is "memory"; threads need state.backend: redis (a partition that moves to another thread loads its state from the store)',
    );
  });

  it('checkThreads throws the problem as a usage error (exit 2)', () => {
    let thrown: unknown;
    try {
      checkThreads(config({ sources: [kafka], backend: 'memory' }), 2);
    } catch (err) {
      thrown = err;
    }
    expect(isFlowwatchError(thrown) && thrown.code).toBe('FW_USAGE');
    expect(() => checkThreads(config({ sources: [kafka] }), 2)).not.toThrow();
  });
});
