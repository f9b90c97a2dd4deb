import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AlertingMetrics } from '../alerts/alerting';

/** What the runner reports once per batch (never per event). */
export interface BatchReport {
  /** Events admitted in the batch, by stream. */
  eventsByStream?: Record<string, number>;
  /** Or just the count. */
  events?: number;
  /** Rejected records by reason (dead-lettered). */
  rejectsByReason?: Record<string, number>;
  /** Wall time from batch received to durable, ms. */
  latencyMs?: number;
}

/**
 * flowwatch's Prometheus metrics, in a registry of its own (not prom-client's global one, so
 * tests and several pipelines in one process don't collide). The runner calls `batch()` per
 * batch; the alerting pipeline reports changes and deliveries through the AlertingMetrics
 * interface; gauges (outbox depth, alerts by state) are read from the store when scraped.
 */
export class FlowwatchMetrics implements AlertingMetrics {
  readonly registry = new Registry();
  private readonly events: Counter<'stream'>;
  private readonly rejects: Counter<'reason'>;
  private readonly batchLatency: Histogram;
  private readonly batches: Counter;
  private readonly changes: Counter<'status'>;
  private readonly notifications: Counter<'receiver' | 'outcome'>;
  private snapshotSource?: () => Promise<{ outbox: Record<string, number>; dead: Record<string, number>; alerts: Record<string, number> }>;
  private snapshotCache?: Promise<{ outbox: Record<string, number>; dead: Record<string, number>; alerts: Record<string, number> } | undefined>;

  constructor() {
    const registers = [this.registry];
    this.events = new Counter({ name: 'flowwatch_events_total', help: 'Events admitted into the pipeline', labelNames: ['stream'], registers });
    this.rejects = new Counter({ name: 'flowwatch_rejects_total', help: 'Records rejected to the dead letter, by reason', labelNames: ['reason'], registers });
    this.batches = new Counter({ name: 'flowwatch_batches_total', help: 'Batches made durable', registers });
    this.batchLatency = new Histogram({
      name: 'flowwatch_batch_duration_seconds',
      help: 'Wall time from a batch received to durable (state, alerts, dead letters)',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.changes = new Counter({ name: 'flowwatch_alert_changes_total', help: 'Alert state changes accepted for notification (after de-duplication)', labelNames: ['status'], registers });
    this.notifications = new Counter({
      name: 'flowwatch_notifications_total',
      help: 'Notification delivery attempts by outcome: sent, retried (failed, will retry), failed (rejected for good)',
      labelNames: ['receiver', 'outcome'],
      registers,
    });
    const snapshot = () => (this.snapshotCache ??= (this.snapshotSource?.() ?? Promise.resolve(undefined)).finally(() => setImmediate(() => (this.snapshotCache = undefined))));
    new Gauge({
      name: 'flowwatch_outbox_depth',
      help: 'Notifications waiting for delivery, per receiver',
      labelNames: ['receiver'],
      registers,
      async collect() {
        const s = await snapshot().catch(() => undefined);
        this.reset();
        for (const [receiver, n] of Object.entries(s?.outbox ?? {})) this.set({ receiver }, n);
      },
    });
    new Gauge({
      name: 'flowwatch_notifications_dead',
      help: 'Notifications a receiver rejected for good, kept in its dead list',
      labelNames: ['receiver'],
      registers,
      async collect() {
        const s = await snapshot().catch(() => undefined);
        this.reset();
        for (const [receiver, n] of Object.entries(s?.dead ?? {})) this.set({ receiver }, n);
      },
    });
    new Gauge({
      name: 'flowwatch_alerts',
      help: 'Active alerts by state: firing (all), acked, flapping, muted (silenced or inhibited)',
      labelNames: ['state'],
      registers,
      async collect() {
        const s = await snapshot().catch(() => undefined);
        this.reset();
        for (const [state, n] of Object.entries(s?.alerts ?? {})) this.set({ state }, n);
      },
    });
  }

  /** Where the gauges read outbox depth and alerts by state (the alerting pipeline's snapshot). */
  readFrom(source: () => Promise<{ outbox: Record<string, number>; dead: Record<string, number>; alerts: Record<string, number> }>): void {
    this.snapshotSource = source;
  }

  /** The runner's per-batch call. */
  batch(r: BatchReport): void {
    this.batches.inc();
    if (r.eventsByStream) for (const [stream, n] of Object.entries(r.eventsByStream)) if (n > 0) this.events.inc({ stream }, n);
    if (r.events !== undefined && r.events > 0 && !r.eventsByStream) this.events.inc({ stream: 'all' }, r.events);
    if (r.rejectsByReason) for (const [reason, n] of Object.entries(r.rejectsByReason)) if (n > 0) this.rejects.inc({ reason }, n);
    if (r.latencyMs !== undefined) this.batchLatency.observe(r.latencyMs / 1000);
  }

  change(status: string): void {
    this.changes.inc({ status });
  }

  notification(receiver: string, outcome: 'sent' | 'failed' | 'retried'): void {
    this.notifications.inc({ receiver, outcome });
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
