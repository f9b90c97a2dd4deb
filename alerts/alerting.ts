import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../kernel/clock';
import { FlowwatchError } from '../kernel/errors';
import { settleWithin } from '../kernel/settle';
import type { Alert } from '../kernel/types';
import type { AlertingConfig, InhibitRuleConfig, RouteConfig } from './config';
import type { AlertDispatcher } from './dispatch';
import { Outboxes } from './delivery/outboxes';
import { escalationRules, type EscalationRule } from './escalation';
import type { Silence } from './mute/silence';
import type { AckInfo } from './notification';
import { Commands, type ActiveAlertView, type AlertingSnapshot, type SilenceInput } from './pipeline/commands';
import type { Actor } from './pipeline/audit';
import { Desk } from './pipeline/desk';
import type { AlertingMetrics, StageContext } from './pipeline/context';
import { Flush } from './pipeline/flush';
import { Intake } from './pipeline/intake';
import { PollLoop, type LoopTimers } from './pipeline/poll-loop';
import { drainOnClose } from './pipeline/shutdown';
import { Timers } from './pipeline/timers';
import type { Receiver } from './receivers/types';
import { Router } from './route/route';
import type { AlertStore } from './store/types';
import type { IncidentsConfig } from './incidents/config';
import { enrichAlerts, type ReferenceLabels } from './incidents/enrich';
import { Incidents } from './incidents/incidents';

export type { ActiveAlertView, AlertingMetrics };

export interface AlertingOptions {
  store: AlertStore;
  receivers: readonly Receiver[];
  route: RouteConfig;
  inhibitRules?: readonly InhibitRuleConfig[];
  config: AlertingConfig;
  clock: Clock;
  log: Logger;
  metrics?: AlertingMetrics;
  /** Distinguishes workers sharing a store (delivery leases). */
  workerId?: string;
  /** Jitter source (tests pass a fixed one). */
  random?: () => number;
  /** Timers for the poll loop; tests don't start the loop and call tick() instead. */
  timers?: LoopTimers;
  /** Reference data: alerts get place, district, party labels at intake (alerts/incidents/enrich.ts). */
  reference?: ReferenceLabels;
  /** Correlation rules: cross-flow incidents (alerts/incidents). */
  incidents?: IncidentsConfig;
}

/** How long close() waits for the delivery leases to be given back (the store may be down). */
const RELEASE_WAIT_MS = 1000;

/**
 * The delivery pipeline after the lifecycle, as stages over one store (alerts/pipeline/):
 * intake (each state change de-duplicated by id and checked for flapping → routed → added to its
 * aggregation groups, one transaction per batch) → flush (due groups through the mute stage into
 * per-receiver outboxes) → delivery (alerts/delivery: each outbox drained in order, with retry).
 * Timers (group_wait, group_interval, repeat, escalation, flap settling) are due times in the
 * store, looked at on each tick with the injected clock, so any worker sharing the store can act
 * on them — once. Commands are what the HTTP API asks (acks, silences, the active alerts).
 */
export class AlertingPipeline implements AlertDispatcher {
  readonly router: Router;
  /** Cross-flow incidents, when rules are configured (the API's /api/incidents). */
  readonly incidents?: Incidents;
  private readonly intake: Intake;
  private readonly flush: Flush;
  private readonly timers: Timers;
  private readonly commands: Commands;
  /** Comments, hand-on and the audit trail (alerts/pipeline/desk.ts). */
  readonly desk: Desk;
  private readonly outboxes: Outboxes;
  private readonly loop: PollLoop;
  private readonly ctx: StageContext;
  private ticking: Promise<void> | null = null;
  private closed = false;

  constructor(private readonly o: AlertingOptions) {
    const names = o.receivers.map((r) => r.name);
    this.router = new Router(o.route, names[0]);
    checkRoutes(this.router, names);
    const escalations = escalationRules(o.config.escalation);
    checkEscalations(escalations, names);
    this.ctx = {
      store: o.store,
      clock: o.clock,
      config: o.config,
      router: this.router,
      escalations,
      inhibitRules: o.inhibitRules ?? [],
      receivers: [...new Set(names)],
      metrics: o.metrics,
    };
    if (o.incidents && o.incidents.rules.length > 0) {
      this.incidents = new Incidents({
        config: o.incidents,
        store: o.store,
        clock: o.clock,
        retention: o.config.retention,
        receivers: names,
        // An ack or a close by hand is delivered at once, not on the next tick.
        delivered: () => this.outboxes.kick(),
      });
      this.ctx.incidents = this.incidents;
    }
    this.intake = new Intake(this.ctx);
    this.flush = new Flush(this.ctx);
    this.timers = new Timers(this.ctx);
    this.commands = new Commands(this.ctx);
    this.desk = new Desk(this.ctx);
    this.outboxes = new Outboxes({
      store: o.store,
      receivers: o.receivers,
      clock: o.clock,
      log: o.log,
      workerId: o.workerId ?? `${process.pid}-${randomUUID().slice(0, 8)}`,
      delivery: o.config.delivery,
      logTtlMs: o.config.retention,
      metrics: o.metrics,
      random: o.random,
    });
    this.loop = new PollLoop({ tick: () => this.tick(), intervalMs: o.config.delivery.poll_interval, log: o.log, timers: o.timers });
  }

  /** The pipeline's clock (the API computes silence times with it). */
  now(): number {
    return this.o.clock.now();
  }

  get store(): AlertStore {
    return this.o.store;
  }

  /**
   * The runner's call, once per batch: makes the batch's state changes durable in the store,
   * flushes groups that are due and delivers to receivers that are up (a receiver that is
   * failing is retried by the poll loop, not waited for here).
   */
  async dispatch(alerts: readonly Alert[]): Promise<void> {
    if (alerts.length === 0) return;
    await this.intake.accept(this.o.reference ? await enrichAlerts(alerts, this.o.reference, this.o.store) : alerts);
    await this.flush.flushDue();
    // Durable in the outbox now; receivers are served in the background, so a slow receiver
    // never holds the stream (idle() waits for it, where that matters).
    this.outboxes.kick();
  }

  /** Resolves when delivery started by dispatch() has finished (tests, orderly shutdown). */
  idle(): Promise<void> {
    return this.outboxes.idle();
  }

  /** Looks at everything due: timers, groups, outboxes. The poll loop calls it; tests call it after advancing the clock. */
  tick(): Promise<void> {
    if (!this.ticking) {
      this.ticking = (async () => {
        await this.timers.runDue();
        await this.flush.flushDue();
        await this.outboxes.deliver(true);
      })().finally(() => {
        this.ticking = null;
      });
    }
    return this.ticking;
  }

  /** Starts the poll loop (real timers unless options.timers). */
  start(): void {
    this.loop.start();
  }

  // ---- people in the loop: the API's operations (alerts/pipeline/commands.ts) ----

  activeAlerts(): Promise<ActiveAlertView[]> {
    return this.commands.activeAlerts();
  }

  ack(idOrFingerprint: string, by: string, comment?: string, actor?: Actor): Promise<AckInfo> {
    return this.commands.ack(idOrFingerprint, by, comment, actor);
  }

  silences(): Promise<Array<Silence & { state: string }>> {
    return this.commands.silences();
  }

  createSilence(input: SilenceInput, actor?: Actor): Promise<Silence> {
    return this.commands.createSilence(input, actor);
  }

  expireSilence(id: string, actor?: Actor): Promise<Silence> {
    return this.commands.expireSilence(id, actor);
  }

  snapshot(): Promise<AlertingSnapshot> {
    return this.commands.snapshot();
  }

  /**
   * Stops the poll loop and delivers what it can. With a memory store, groups still waiting are
   * flushed now (their state would be lost); with a shared store they stay for the other workers
   * or the next start.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.loop.stop();
    // Bounded: with the store unreachable (Redis down) a final drain would wait forever.
    const limit = this.o.config.delivery.drain_timeout + 1000;
    const gaveUp = new AbortController();
    if ((await settleWithin(this.drain(gaveUp.signal), limit)) === 'timeout') {
      gaveUp.abort();
      this.o.log.warn(
        { limitMs: limit },
        'final alert delivery did not finish in time (store or receivers unavailable); undelivered notifications stay in the outbox when it is Redis',
      );
    }
    await this.outboxes.release(RELEASE_WAIT_MS);
    await Promise.allSettled(this.o.receivers.map((r) => r.close()));
    await this.o.store.close();
  }

  private async drain(signal: AbortSignal): Promise<void> {
    await this.ticking?.catch(() => undefined);
    await this.idle();
    await drainOnClose({ ctx: this.ctx, flush: this.flush, outboxes: this.outboxes, log: this.o.log, signal });
  }
}

/** Every receiver a route names must be configured. */
function checkRoutes(router: Router, names: readonly string[]): void {
  for (const r of router.all()) {
    if (!names.includes(r.receiver))
      throw new FlowwatchError(
        'FW_NOTIFY',
        `route ${r.id} names receiver "${r.receiver}", which is not configured (receivers: ${names.join(', ')})`,
      );
  }
}

function checkEscalations(escalations: readonly EscalationRule[], names: readonly string[]): void {
  for (const e of escalations)
    if (!names.includes(e.receiver))
      throw new FlowwatchError('FW_NOTIFY', `escalation names receiver "${e.receiver}", which is not configured`);
}
