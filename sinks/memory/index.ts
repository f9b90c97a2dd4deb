import type { Logger } from '../../kernel/logger';
import { DropReporter } from '../drop-reporter';
import type { Point, Sink, SinkStats } from '../types';

export interface MemorySinkOptions {
  name?: string;
  /** Most points kept; further writes are counted as dropped (newest dropped first). Default 100000. */
  max?: number;
  /** Event-time resolution of detector series, ms (see Sink.resolution). Default 0. */
  resolution?: number;
  /** Where drop warnings go (rate-limited). Without it drops are only counted. */
  log?: Logger;
}

/** Keeps points in an array: for tests and the embedded demo. Bounded; drops are counted. */
export class MemorySink implements Sink {
  readonly name: string;
  readonly max: number;
  readonly resolution: number;
  private readonly kept: Point[] = [];
  private stored = 0;
  private dropped = 0;
  private closed = false;
  private readonly drops?: DropReporter;

  constructor(opts: MemorySinkOptions = {}) {
    this.name = opts.name ?? 'memory';
    this.max = opts.max ?? 100_000;
    this.resolution = opts.resolution ?? 0;
    if (!(Number.isInteger(this.max) && this.max >= 0))
      throw new RangeError(`MemorySink max must be a non-negative integer, got ${opts.max}`);
    if (opts.log) this.drops = new DropReporter(opts.log.child({ component: 'sink', sink: this.name }), `${this.name} sink`);
  }

  /** The points kept so far, in write order. */
  get points(): readonly Point[] {
    return this.kept;
  }

  write(points: readonly Point[]): void {
    if (this.closed) {
      this.drop(points.length, 'closed');
      return;
    }
    const room = Math.max(0, this.max - this.kept.length);
    const n = Math.min(room, points.length);
    for (let i = 0; i < n; i++) this.kept.push(points[i]);
    this.stored += n;
    this.drop(points.length - n, 'buffer_full');
  }

  /** Returns the kept points and empties the sink (the bound then applies afresh; `written` keeps counting). */
  take(): Point[] {
    return this.kept.splice(0, this.kept.length);
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {
    this.closed = true;
    this.drops?.close();
  }

  stats(): SinkStats {
    return { written: this.stored, buffered: 0, dropped: this.dropped, failedFlushes: 0, retries: 0 };
  }

  private drop(n: number, reason: string): void {
    if (n <= 0) return;
    this.dropped += n;
    this.drops?.note(n, reason);
  }
}
