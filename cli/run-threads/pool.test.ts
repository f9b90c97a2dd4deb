import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { silentLogger } from '../../kernel/logger';
import { ThreadPool } from './pool';

/**
 * The main thread's side of `run --threads` with stand-in thread scripts (plain JS in real worker
 * threads): the protocol (protocol.ts), not the pipeline, which the integration test runs.
 */
const dir = mkdtempSync(path.join(tmpdir(), 'fw-pool-'));
function script(name: string, body: string): string {
  const file = path.join(dir, `${name}.js`);
  writeFileSync(file, `const { parentPort, workerData } = require('node:worker_threads');\n${body}`);
  return file;
}

const summaryOf = (events: number, stream: string) =>
  `{ events: ${events}, alerts: 1, rejects: 0, rejectsByReason: {}, eventsByStream: { ${stream}: ${events} }, batches: 2, wallMs: 10 }`;

/** Runs until asked to stop; reports its counters and a health problem; answers scrapes with one counter. */
const WELL_BEHAVED = script(
  'ok',
  `
const summary = ${summaryOf(0, 's')};
summary.events = summary.eventsByStream.s = 100 * workerData.index;
parentPort.postMessage({ type: 'health', problems: [{ component: 'sink:influxdb', reason: 'down', since: 1 }] });
parentPort.on('message', (m) => {
  if (m.type === 'metrics')
    parentPort.postMessage({ type: 'metrics', id: m.id, metrics: [{ name: 'flowwatch_batches_total', help: 'b', type: 'counter', aggregator: 'sum',
      values: [{ value: workerData.index, labels: { thread: String(workerData.index) } }] }] });
  if (m.type === 'stop') { parentPort.postMessage({ type: 'done', code: 0, summary }); parentPort.close(); }
});
`,
);

function pool(threads: number, file: string, failures: string[] = []) {
  return new ThreadPool({ threads, start: { color: false }, log: silentLogger(), onFailure: (why) => failures.push(why), script: file });
}

describe('ThreadPool', () => {
  let stderr: jest.SpyInstance;
  beforeEach(() => (stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true)));
  afterEach(() => stderr.mockRestore());

  it('stops every thread, adds up their counters, exits 0', async () => {
    const failures: string[] = [];
    const p = pool(2, WELL_BEHAVED, failures);
    p.start();
    const text = await p.metrics.text();
    expect(text).toContain('flowwatch_batches_total{thread="1"} 1');
    expect(text).toContain('flowwatch_batches_total{thread="2"} 2');
    expect(text).toContain('process_cpu_seconds_total'); // the process's own, once
    // Posted before the scrape's answer, so here by now: each thread's problems under its name
    // (in whichever order the two threads' messages arrived).
    expect(
      p.health
        .list()
        .map((x) => x.component)
        .sort(),
    ).toEqual(['thread 1: sink:influxdb', 'thread 2: sink:influxdb']);
    p.stop('SIGTERM');
    expect(await p.ended()).toBe(0);
    expect(failures).toEqual([]);
    expect(p.summary()).toMatchObject({ events: 300, alerts: 2, batches: 4, eventsByStream: { s: 300 } });
    // Readiness problems go with the thread that reported them.
    expect(p.health.list()).toEqual([]);
  });

  it('a thread that dies: the cause is said, the others are asked to stop, the process exits 1', async () => {
    const failures: string[] = [];
    const p = pool(1, script('dies', `throw new Error('boom in thread');`), failures);
    p.start();
    expect(await p.ended()).toBe(1);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatch(/^thread 1 died: Error: boom in thread/);
  });

  it("a thread that fails reports its run's exit code (2: usage), and the pool stops", async () => {
    const failures: string[] = [];
    const p = pool(
      1,
      script('fails', `parentPort.postMessage({ type: 'done', code: 2, message: 'bad config', summary: ${summaryOf(0, 's')} });`),
      failures,
    );
    p.start();
    expect(await p.ended()).toBe(2);
    expect(failures).toEqual(['thread 1: bad config']);
  });

  it('a thread that ends without being asked is a failure (the process runs as one)', async () => {
    const failures: string[] = [];
    const p = pool(1, script('quits', `parentPort.postMessage({ type: 'done', code: 0, summary: ${summaryOf(5, 's')} });`), failures);
    p.start();
    expect(await p.ended()).toBe(1);
    expect(failures).toEqual(['thread 1 stopped by itself']);
  });
});
