import { performance } from 'node:perf_hooks';
import type { FlowwatchConfig } from '../config/schema';
import { Pipeline } from '../worker/pipeline';
import type { RawRecord } from '../kernel/types';
import { silentLogger } from '../kernel/logger';
import type { FlowName } from '../ingest/simulator';
import { Workload } from './workload';
import { perSecond, round } from './stats';

export interface InprocOptions {
  config: FlowwatchConfig;
  flows: FlowName[];
  keys: number;
  skew: number;
  /** Rough wall time of the measured part (pipeline + ceiling), ms. */
  durationMs: number;
  /** Records per batch (a Kafka fetch per partition is typically a few hundred to a few thousand). */
  batchSize: number;
  /** Fixed number of events instead of one derived from the duration. */
  events?: number;
  /**
   * Event-time spacing between consecutive events, ms. Default 0.01: event time moves like a live
   * stream at 100k events/s (the kafka target), so per-key cadence and time-driven work (windows
   * draining, silence checks) are what a live worker at that rate sees.
   */
  eventSpacingMs?: number;
  seed?: number;
  onProgress?: (p: { phase: string; done: number; total: number; eventsPerSec?: number; ceilingEventsPerSec?: number }) => void;
}

export interface InprocResult {
  scenario: 'inproc';
  flows: FlowName[];
  keys: number;
  skew: number;
  batchSize: number;
  events: number;
  payloadBytes: number;
  eventsPerSec: number;
  ceilingEventsPerSec: number;
  ratioToCeiling: number;
  /** JSON.parse alone on payloads already decoded to strings (no utf8 decoding): a stricter ceiling. */
  stringParseEventsPerSec: number;
  ratioToStringParse: number;
  /**
   * Share of the pipeline's measured time spent serialising the batch's change set
   * (takeChanges: the state commit's bytes), and the ratio to the ceiling without it: where the
   * per-event path ends and the commit path begins.
   */
  changeSetShare: number;
  ratioWithoutChangeSet: number;
  rejects: number;
  alerts: number;
  stateEntries: number;
  heapUsedMB: number;
  rssMB: number;
}

/** Payloads held as one big buffer and offsets, so they cost no per-payload objects between runs. */
export interface PayloadSet {
  buf: Buffer;
  offsets: Uint32Array;
  streams: FlowName[];
  count: number;
  /** Event time of payload j is t0 + floor(j × spacingMs). */
  t0: number;
  spacingMs: number;
}

export function buildPayloads(w: Workload, count: number, t0: number, spacingMs: number): PayloadSet {
  const streams = new Array<FlowName>(count);
  const chunks: Buffer[] = [];
  const offsets = new Uint32Array(count + 1);
  let off = 0;
  const CH = 50_000;
  for (let i = 0; i < count; i += CH) {
    const parts: string[] = [];
    for (let j = i; j < Math.min(count, i + CH); j++) {
      const e = w.next(t0 + Math.floor(j * spacingMs));
      streams[j] = e.stream;
      parts.push(e.value);
      offsets[j] = off;
      off += Buffer.byteLength(e.value);
    }
    chunks.push(Buffer.from(parts.join(''), 'utf8'));
  }
  offsets[count] = off;
  return { buf: Buffer.concat(chunks, off), offsets, streams, count, t0, spacingMs };
}

/**
 * The pipeline's CPU path in a tight loop — decode → admission → windows → detectors → alert
 * lifecycle (+ advance and the batch's change set, as the runner does) — over realistic payload
 * bytes, interleaved chunk by chunk with the ceiling: JSON.parse alone over the same bytes.
 */
export function runInproc(o: InprocOptions): InprocResult {
  const spacing = o.eventSpacingMs ?? 0.01;
  const workload = new Workload({ flows: o.flows, keys: o.keys, skew: o.skew, seed: o.seed });
  const t0 = Math.floor(Date.now() / 60_000) * 60_000 - 3_600_000;

  const count = o.events || calibratedCount(o, t0, spacing);
  o.onProgress?.({ phase: 'generating payloads', done: 0, total: count });
  const set = buildPayloads(workload, count, t0, spacing);
  const strings: string[] = [];
  const pipeline = benchPipeline(o.config);

  // Warm-up: the first 10 % (state for most keys, JIT) untimed for both loops.
  const warm = Math.floor(count / 10);
  ceilingPass(set, 0, warm);
  const warmRes = runPipelinePass(pipeline, set, 0, warm, o.batchSize, 'default');
  let rejects = warmRes.rejects;
  let alerts = warmRes.alerts;

  const CHUNK = 100_000;
  let pipeMs = 0;
  let changeMs = 0;
  let ceilMs = 0;
  let strMs = 0;
  for (let i = warm; i < count; i += CHUNK) {
    const end = Math.min(count, i + CHUNK);
    // Batch by batch, the three loops in turn: they see the same machine, and nothing the
    // harness makes (strings, records) lives long enough to be promoted — a chunk's 100k strings
    // made at once had filled the old generation with the harness's garbage, and the launcher's
    // large-heap GC setting (bin/flowwatch.js) then charged every loop for collecting it.
    for (let j = i; j < end; j += o.batchSize) {
      const jEnd = Math.min(end, j + o.batchSize);
      let a = performance.now();
      ceilingPass(set, j, jEnd);
      ceilMs += performance.now() - a;
      // Strings for the string-only ceiling, decoded outside the timed part.
      strings.length = 0;
      for (let k = j; k < jEnd; k++) strings.push(set.buf.toString('utf8', set.offsets[k], set.offsets[k + 1]));
      a = performance.now();
      stringPass(strings);
      strMs += performance.now() - a;
      const r = timedPipelinePass(pipeline, set, j, jEnd, o.batchSize, 'default');
      pipeMs += r.ms;
      changeMs += r.changeMs;
      rejects += r.rejects;
      alerts += r.alerts;
    }
    strings.length = 0;
    const done = end - warm;
    o.onProgress?.({
      phase: 'measuring',
      done,
      total: count - warm,
      eventsPerSec: perSecond(done, pipeMs),
      ceilingEventsPerSec: perSecond(done, ceilMs),
    });
  }
  const measured = count - warm;
  const eventsPerSec = perSecond(measured, pipeMs);
  const ceilingEventsPerSec = perSecond(measured, ceilMs);
  const stringParseEventsPerSec = perSecond(measured, strMs);
  const mem = process.memoryUsage();
  return {
    scenario: 'inproc',
    flows: o.flows,
    keys: workload.keys,
    skew: o.skew,
    batchSize: o.batchSize,
    events: measured,
    payloadBytes: set.offsets[count] - set.offsets[warm],
    eventsPerSec: round(eventsPerSec),
    ceilingEventsPerSec: round(ceilingEventsPerSec),
    ratioToCeiling: round(eventsPerSec / ceilingEventsPerSec, 3),
    stringParseEventsPerSec: round(stringParseEventsPerSec),
    ratioToStringParse: round(eventsPerSec / stringParseEventsPerSec, 3),
    changeSetShare: round(changeMs / pipeMs, 3),
    ratioWithoutChangeSet: round(perSecond(measured, pipeMs - changeMs) / ceilingEventsPerSec, 3),
    rejects,
    alerts,
    stateEntries: pipeline.stateSize(),
    heapUsedMB: round(mem.heapUsed / 1048576, 1),
    rssMB: round(mem.rss / 1048576, 1),
  };
}

/** Calibration: a short cold run sizes the payload set to the requested duration. */
function calibratedCount(o: InprocOptions, t0: number, spacing: number): number {
  const cal = buildPayloads(new Workload({ flows: o.flows, keys: o.keys, skew: o.skew, seed: (o.seed ?? 1) + 1 }), 60_000, t0, spacing);
  const p = benchPipeline(o.config);
  const a = performance.now();
  runPipelinePass(p, cal, 0, cal.count, o.batchSize, 'cal');
  const rate = perSecond(cal.count, performance.now() - a);
  // Pipeline + ceiling (about 2–3× faster) share the duration; the cold estimate is low anyway.
  return Math.min(6_000_000, Math.max(200_000, Math.round((rate * o.durationMs) / 1000 / 1.4)));
}

/** A pipeline as a worker without series sinks runs it (the runner does the same): nothing here reads the verdicts. */
function benchPipeline(config: FlowwatchConfig): Pipeline {
  const p = new Pipeline(config, silentLogger());
  p.keepObservations(false);
  return p;
}

let sink = 0;

/** The ceiling: bytes → string → JSON.parse, nothing else. */
export function ceilingPass(set: PayloadSet, from: number, to: number): void {
  const { buf, offsets } = set;
  let n = 0;
  for (let i = from; i < to; i++) {
    const v = JSON.parse(buf.toString('utf8', offsets[i], offsets[i + 1]));
    if (v !== null) n++;
  }
  sink += n;
}

function stringPass(list: string[]): void {
  let n = 0;
  for (let i = 0; i < list.length; i++) if (JSON.parse(list[i]) !== null) n++;
  sink += n;
}

export function makeRecords(set: PayloadSet, from: number, to: number): RawRecord[] {
  const out: RawRecord[] = new Array(to - from);
  for (let j = from; j < to; j++) out[j - from] = { stream: set.streams[j], payload: set.buf.subarray(set.offsets[j], set.offsets[j + 1]) };
  return out;
}

/**
 * One batch through the pipeline, as the runner drives it: process, advance, the batch's change
 * set. `changeMs`: the change set's part of the time (it is timed too, as a part of the whole).
 */
function runBatch(
  p: Pipeline,
  set: PayloadSet,
  batch: RawRecord[],
  last: number,
  scope: string,
): { rejects: number; alerts: number; changeMs: number } {
  // The batch's clock: its newest event's time (a live source's wall clock, events sent "now").
  const now = set.t0 + Math.floor(last * set.spacingMs);
  const r = p.processBatch(batch, now, scope);
  const adv = p.advance(now);
  const a = performance.now();
  p.takeChanges();
  return { rejects: r.rejects.length, alerts: r.alerts.length + adv.length, changeMs: performance.now() - a };
}

/**
 * Payloads from..to in batches, timing only the pipeline's work. Each batch's records (Buffer
 * views, as a Kafka client hands them over) are made just before it, untimed, and dropped after
 * it — like a consumer's fetch: made all at once ahead of the loop, a chunk's 100k records
 * outlived young-generation collections and were promoted, charging the pipeline for old-space
 * collections of the harness's own garbage.
 */
export function timedPipelinePass(
  p: Pipeline,
  set: PayloadSet,
  from: number,
  to: number,
  batchSize: number,
  scope: string,
): { ms: number; changeMs: number; rejects: number; alerts: number } {
  let ms = 0;
  let changeMs = 0;
  let rejects = 0;
  let alerts = 0;
  for (let i = from; i < to; i += batchSize) {
    const end = Math.min(to, i + batchSize);
    const batch = makeRecords(set, i, end);
    const a = performance.now();
    const r = runBatch(p, set, batch, end - 1, scope);
    ms += performance.now() - a;
    changeMs += r.changeMs;
    rejects += r.rejects;
    alerts += r.alerts;
  }
  return { ms, changeMs, rejects, alerts };
}

/** Batches of raw records (Buffer payloads, as Kafka delivers them) through the pipeline, untimed. */
export function runPipelinePass(
  p: Pipeline,
  set: PayloadSet,
  from: number,
  to: number,
  batchSize: number,
  scope: string,
): { rejects: number; alerts: number } {
  const { rejects, alerts } = timedPipelinePass(p, set, from, to, batchSize, scope);
  return { rejects, alerts };
}

export function _sink(): number {
  return sink;
}
