/**
 * SinkGate: a batch's commit waits for the flush covering its points; an outage holds batches
 * up to maxPause, then lets them through; each transition is one log line and one readiness
 * report. Fake sink (our interface), manual clock, log lines captured.
 */
import { Writable } from 'node:stream';
import { ManualClock } from '../kernel/clock';
import { Health } from '../kernel/health';
import { createRootLogger } from '../kernel/logger';
import { SinkGate } from './sink-gate';
import type { Sink, SinkStats } from './types';

function capture(): { log: ReturnType<typeof createRootLogger>; msgs: string[] } {
  const msgs: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      msgs.push(JSON.parse(String(chunk)).msg);
      cb();
    },
  });
  return { log: createRootLogger({ level: 'info', destination }), msgs };
}

/** A sink that fails while `down`; written/dropped as a real one counts them. */
function fakeSink() {
  const s = {
    name: 'influxdb',
    destination: 'InfluxDB at http://db',
    down: false,
    flushes: 0,
    written: 0,
    dropped: 0,
    write() {},
    async flush() {
      s.flushes++;
      if (s.down) throw new Error('connect ECONNREFUSED');
      s.written++;
    },
    async close() {},
    stats(): SinkStats {
      return { written: s.written, buffered: 0, dropped: s.dropped, failedFlushes: 0, retries: 0 };
    },
  };
  return s satisfies Sink;
}

function setup(sink: Sink, maxPause = 60_000) {
  const clock = new ManualClock(1_000_000);
  const health = new Health(() => clock.now());
  const { log, msgs } = capture();
  const gate = new SinkGate({
    sinks: [sink],
    log,
    clock,
    maxPause,
    health,
    signal: new AbortController().signal,
    retryDelay: async () => clock.advance(10_000),
  });
  return { clock, health, log, msgs, gate };
}

it('coalesces flushes: two in flight, and batches that ask meanwhile share the next one', async () => {
  const sink = fakeSink();
  const { gate, log } = setup(sink);
  const asked = [gate.start(), gate.start(), gate.start(), gate.start(), gate.start()];
  await Promise.all(asked.map((a) => gate.pass(a, async () => {}, log)));
  expect(sink.flushes).toBe(3);
});

it('holds up to maxPause while the sink is down, says so honestly, and reports recovery only after a write succeeded', async () => {
  const sink = fakeSink();
  const { gate, clock, health, log, msgs } = setup(sink);
  sink.down = true;
  let heartbeats = 0;
  await gate.pass(gate.start(), async () => void heartbeats++, log);
  // six 10-second waits: held 60 s, heartbeating, then let through
  expect(clock.now()).toBe(1_060_000);
  expect(heartbeats).toBe(6);
  sink.dropped = 1234;
  // further batches do not wait (and do not flush: the sink retries on its own)
  const flushes = sink.flushes;
  await gate.pass(gate.start(), async () => void heartbeats++, log);
  expect(sink.flushes).toBe(flushes);
  expect(health.list().map((p) => p.component)).toEqual(['sink:influxdb']);
  // InfluxDB is back: the sink's own retry writes, and the next batch sees it
  sink.down = false;
  sink.written++;
  await gate.pass(gate.start(), async () => {}, log);
  expect(health.ready).toBe(true);
  log.flush();
  await new Promise((r) => setImmediate(r));
  expect(msgs).toEqual([
    'InfluxDB at http://db: write failed; holding batches (state commits and intake) until it is written, at most 60 s',
    expect.stringMatching(/^InfluxDB at http:\/\/db still down after 60 s: resuming intake, 0 points dropped so far/),
    'InfluxDB at http://db available again (a write succeeded): 1234 points dropped during the outage',
  ]);
});

it('a short outage holds the batch and goes on without dropping anything', async () => {
  const sink = fakeSink();
  const { gate, clock, health, log } = setup(sink);
  sink.down = true;
  const started = gate.start();
  const held = gate.pass(
    started,
    async () => {
      if (clock.now() >= 1_020_000) sink.down = false;
    },
    log,
  );
  await held;
  expect(clock.now()).toBe(1_030_000);
  expect(health.ready).toBe(true);
});
