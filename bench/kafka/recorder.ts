import { LatencyHistogram } from '../histogram';

/**
 * Where a worker hands each committed batch's latencies: the step being recorded (StepRecorder,
 * in the bench's main thread), or — in a worker thread — a forwarder that posts them to it.
 */
export interface BatchRecorder {
  /**
   * One committed batch: its records' intended send times (epoch ms), when its state commit
   * returned, when processing began, and when each record's fetch reached the worker.
   */
  recordBatch(stamps: Float64Array, committedAt: number, startedAt: number, receivedAt: Float64Array | undefined): void;
  /** send → alert delivered, ms, for an alert a batch's event raised. */
  recordAlert(ms: number): void;
}

/** One offered-rate step's latencies and progress. */
export class StepRecorder implements BatchRecorder {
  state = new LatencyHistogram();
  alert = new LatencyHistogram();
  pickup = new LatencyHistogram();
  delivery = new LatencyHistogram();
  thirds = [new LatencyHistogram(), new LatencyHistogram(), new LatencyHistogram()];
  /** Events of this step (intended send time at or after its start) made durable so far. */
  committed = 0;
  constructor(
    readonly start: number,
    readonly durationMs: number,
  ) {}

  recordBatch(stamps: Float64Array, committedAt: number, startedAt: number, receivedAt: Float64Array | undefined): void {
    for (let i = 0; i < stamps.length; i++) this.record(stamps[i], committedAt, startedAt, receivedAt ? receivedAt[i] : startedAt);
  }

  recordAlert(ms: number): void {
    this.alert.recordMs(ms);
  }

  record(ts: number, at: number, startedAt: number, receivedAt: number): void {
    // Leftovers of an earlier step (sent before this one started) are not this step's work.
    if (ts < this.start - 1) return;
    this.committed++;
    const ms = at - ts;
    this.state.recordMs(ms);
    this.pickup.recordMs(startedAt - ts);
    this.delivery.recordMs(receivedAt - ts);
    const k = Math.floor(((ts - this.start) * 3) / this.durationMs);
    this.thirds[k < 0 ? 0 : k > 2 ? 2 : k].recordMs(ms);
  }
}
