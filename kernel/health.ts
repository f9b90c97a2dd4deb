/**
 * Readiness of a worker, fed by the parts that can fail while the process keeps running (a
 * dead-letter output that cannot write, a state store that was wiped, a sink that is down) and
 * read by `/readyz` and `/metrics`. Each part reports under its own name; the worker is ready
 * when no part reports a problem. Reading never waits on I/O: the parts report as they learn.
 */
export interface HealthProblem {
  /** Which part: "dead-letter", "state-store", "sink:influxdb", ... */
  component: string;
  /** One line a duty officer can act on. */
  reason: string;
  /** Clock time the problem was first reported (ms). */
  since: number;
}

export class Health {
  private readonly problems = new Map<string, HealthProblem>();
  private readonly listeners = new Set<(h: Health) => void>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Reports a problem (or refreshes its reason); the first report's time is kept. */
  fail(component: string, reason: string): void {
    const prev = this.problems.get(component);
    if (prev && prev.reason === reason) return;
    this.problems.set(component, { component, reason, since: prev?.since ?? this.now() });
    this.emit();
  }

  /** The part works again. */
  ok(component: string): void {
    if (this.problems.delete(component)) this.emit();
  }

  get ready(): boolean {
    return this.problems.size === 0;
  }

  list(): HealthProblem[] {
    return [...this.problems.values()];
  }

  /** Called on every change (metrics gauges, a log line); never per event. */
  onChange(fn: (h: Health) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private emit(): void {
    for (const fn of this.listeners) fn(this);
  }
}
