import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../kernel/clock';
import { FlowwatchError } from '../kernel/errors';
import { settleWithin } from '../kernel/settle';
import type { Alert } from '../kernel/types';
import type { AlertingConfig, InhibitRuleConfig, RouteConfig } from './config';
import type { AlertDispatcher } from './dispatch';
import { DeliveryWorker, type DeliveryMetrics } from './delivery/worker';
import { escalate, escalationRules, nextEscalation, type EscalationRule } from './escalation';
import { assembleGroup, flushGroup, groupKey, recordsForFlush, splitGroup, touchGroup, type ChangeKind, type GroupDoc, type GroupHead, type PendingChange } from './group/group';
import { parseMatchers } from './matchers';
import { Inhibitor } from './mute/inhibit';
import { MuteStage, type Muter } from './mute/muter';
import { Silencer, silenceState, type Silence, type SilencesDoc } from './mute/silence';
import { alertJson, stableId, type AckInfo, type Notification } from './notification';
import type { Receiver } from './receivers/types';
import { acceptChange, settleFlap, type AlertRecord } from './record';
import { Router, groupLabels, type Route } from './route/route';
import { K, type AlertStore, type Writes } from './store/types';
import { RESENT_LABEL, RESENT_STORE_LOSS } from './identity';

export interface AlertingMetrics extends DeliveryMetrics {
  /** State changes accepted (after de-duplication), by status. */
  change(status: string): void;
}

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
  timers?: { setTimeout(fn: () => void, ms: number): unknown; clearTimeout(h: unknown): void };
}

/** An active alert as the API shows it. */
export interface ActiveAlertView extends Record<string, unknown> {
  id: string;
  fingerprint: string;
  mutedBy: string | null;
}

const DUE_BATCH = 200;
/** Flush transactions that may stop to read the records they need, before the last one. */
const MAX_RECORD_PASSES = 3;

/**
 * The delivery pipeline after the lifecycle: each state change is de-duplicated by id and
 * checked for flapping (alert record) → routed (routing tree) → added to its aggregation groups
 * — all in one store transaction, so it is durable before the batch moves on. Groups whose time
 * has come are flushed through the mute stage (silences + inhibition) into per-receiver
 * outboxes; delivery workers drain the outboxes in order, with retry. Timers (group_wait,
 * group_interval, repeat, escalation, flap settling) are due times in the store, looked at on
 * each tick with the injected clock, so any worker sharing the store can act on them — once.
 */
export class AlertingPipeline implements AlertDispatcher {
  readonly router: Router;
  private readonly workers = new Map<string, DeliveryWorker>();
  private readonly escalations: EscalationRule[];
  private readonly log: Logger;
  private readonly workerId: string;
  private loopTimer: unknown = null;
  private ticking: Promise<void> | null = null;
  private closed = false;

  constructor(private readonly o: AlertingOptions) {
    this.log = o.log;
    this.workerId = o.workerId ?? `${process.pid}-${randomUUID().slice(0, 8)}`;
    const names = o.receivers.map((r) => r.name);
    this.router = new Router(o.route, names[0]);
    for (const r of this.router.all()) {
      if (!names.includes(r.receiver)) throw new FlowwatchError('FW_NOTIFY', `route ${r.id} names receiver "${r.receiver}", which is not configured (receivers: ${names.join(', ')})`);
    }
    this.escalations = escalationRules(o.config.escalation);
    for (const e of this.escalations) if (!names.includes(e.receiver)) throw new FlowwatchError('FW_NOTIFY', `escalation names receiver "${e.receiver}", which is not configured`);
    for (const receiver of o.receivers) {
      this.workers.set(
        receiver.name,
        new DeliveryWorker({
          store: o.store,
          receiver,
          clock: o.clock,
          log: o.log,
          workerId: this.workerId,
          initialBackoff: o.config.delivery.initial_backoff,
          maxBackoff: o.config.delivery.max_backoff,
          leaseMs: o.config.delivery.lease,
          logTtlMs: o.config.retention,
          metrics: o.metrics,
          random: o.random,
        }),
      );
    }
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
    await this.acceptAll(alerts);
    await this.flushDueGroups();
    // Durable in the outbox now; receivers are served in the background, so a slow receiver
    // never holds the stream (idle() waits for it, where that matters).
    this.kick();
  }

  private delivering: Promise<void> | null = null;

  /** Starts delivery to the receivers that are up, without waiting for it. */
  private kick(): void {
    const run: Promise<void> = this.deliver(false)
      .catch((err: unknown) => this.log.warn({ err }, 'alert delivery failed; the poll loop retries'))
      .finally(() => {
        if (this.delivering === run) this.delivering = null;
      });
    this.delivering = run;
  }

  /** Resolves when delivery started by dispatch() has finished (tests, orderly shutdown). */
  async idle(): Promise<void> {
    while (this.delivering) await this.delivering;
  }

  /** Looks at everything due: timers, groups, outboxes. The poll loop calls it; tests call it after advancing the clock. */
  tick(): Promise<void> {
    if (!this.ticking) {
      this.ticking = (async () => {
        await this.runTimers();
        await this.flushDueGroups();
        await this.deliver(true);
      })().finally(() => {
        this.ticking = null;
      });
    }
    return this.ticking;
  }

  /** Starts the poll loop (real timers). */
  start(): void {
    const timers = this.o.timers ?? { setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms), clearTimeout: (h: unknown) => clearTimeout(h as NodeJS.Timeout) };
    const loop = () => {
      this.loopTimer = timers.setTimeout(() => {
        this.tick()
          .catch((err: unknown) => this.log.warn({ err }, 'alerting tick failed; trying again'))
          .finally(() => {
            if (!this.closed) loop();
          });
      }, this.o.config.delivery.poll_interval);
    };
    if (this.loopTimer === null) loop();
    this.stopLoop = () => {
      if (this.loopTimer !== null) timers.clearTimeout(this.loopTimer);
      this.loopTimer = null;
    };
  }

  private stopLoop: () => void = () => undefined;

  // ---- accept: dedup, flap, route, group — one transaction per change ----

  private routesFor(a: Alert): Array<{ route: Route; key: string; labels: Record<string, string> }> {
    return this.router.match(a.labels).map((route) => {
      const labels = groupLabels(route, a.labels);
      return { route, key: groupKey(route, labels), labels };
    });
  }

  /**
   * The batch's state changes in one store transaction: every record and group they touch is
   * read once, the changes are applied in order in memory, and each document is written once —
   * a batch with many alerts for one group rewrites that group once, not once per alert.
   */
  private async acceptAll(alerts: readonly Alert[]): Promise<void> {
    const plans = alerts.map((alert) => ({ alert, routes: this.routesFor(alert) }));
    const keys: string[] = [];
    const slot = new Map<string, number>();
    const want = (key: string) => {
      if (!slot.has(key)) slot.set(key, keys.push(key) - 1);
    };
    for (const p of plans) {
      want(K.record(p.alert.fingerprint));
      for (const r of p.routes) want(K.group(r.key));
    }
    const accepted = await this.o.store.transact(keys, (docs, w) => {
      const now = this.o.clock.now();
      const current = (key: string) => docs[slot.get(key)!];
      const records = new Map<string, AlertRecord>();
      const groups = new Map<string, GroupHead>();
      const statuses: string[] = [];
      for (const { alert, routes } of plans) {
        const fp = alert.fingerprint;
        const prev = records.get(fp) ?? (current(K.record(fp)) as AlertRecord | undefined);
        // A firing re-sent after the state store was lost (worker/store-recovery.ts) is only news
        // to an alert store that lost this episode too.
        if (alert.labels[RESENT_LABEL] === RESENT_STORE_LOSS && prev !== undefined && prev.alert.startsAt >= alert.startsAt) continue;
        // A resolve that ends before the stored episode began belongs to an earlier episode (a
        // replay, or a store that outlived a run): it must not end the later one — an alert never
        // ends before it starts.
        if (alert.status === 'resolved' && prev?.alert.status === 'firing' && (alert.endsAt ?? alert.startsAt) < prev.alert.startsAt) continue;
        const { record, decision } = acceptChange(prev, alert, now, this.o.config.flap);
        if (decision === 'duplicate') continue;
        statuses.push(alert.status);
        records.set(fp, record);
        this.recordWrites(w, record);
        if (decision === 'suppress') continue;
        if (alert.status === 'resolved' && prev === undefined) {
          // A resolve for an alert this store never saw firing: the store was wiped (or is memory
          // and the worker restarted) after the firing was notified. A group would drop it (it
          // sends a resolve only where it sent the firing), and on-call would never hear the
          // alert cleared: it goes straight to the receivers of its routes — better a resolve
          // for a firing they missed than a firing that never ends.
          for (const receiver of new Set(routes.map((r) => r.route.receiver))) w.enqueue(K.outbox(receiver), this.direct(receiver, 'new', alert, now));
          continue;
        }
        const kind: ChangeKind = decision === 'flapping' ? 'flapping' : 'new';
        for (const r of routes) {
          const mine = groups.get(r.key);
          groups.set(r.key, touchGroup(mine ?? (current(K.group(r.key)) as GroupHead | undefined), r.route, r.key, r.labels, now, mine !== undefined));
          w.enqueue<PendingChange>(K.pending(r.key), { alert, kind });
        }
        // Whoever an escalation reached hears the resolution too.
        if (alert.status === 'resolved' && prev?.escalated) {
          for (const receiver of prev.escalated.receivers) {
            if (routes.some((r) => r.route.receiver === receiver)) continue;
            w.enqueue(K.outbox(receiver), this.direct(receiver, 'new', alert, now, prev.ack));
          }
        }
      }
      for (const r of records.values()) this.putRecord(w, r);
      for (const g of groups.values()) this.putHead(w, g);
      return statuses;
    });
    for (const status of accepted) this.o.metrics?.change(status);
  }

  /** Index and timer writes of one accepted change (the record itself is written once per batch). */
  private recordWrites(w: Writes, record: AlertRecord): void {
    const fp = record.fingerprint;
    if (record.alert.status === 'firing') w.schedule(K.active, fp, record.alert.startsAt);
    else w.unschedule(K.active, fp);
    if (record.flapping) w.schedule(K.timers, `flap:${fp}`, record.lastChange + this.o.config.flap.quiet);
    const esc = nextEscalation(record, this.escalations);
    if (esc !== null) w.schedule(K.timers, `esc:${fp}`, esc);
    else w.unschedule(K.timers, `esc:${fp}`);
  }

  private putRecord(w: Writes, r: AlertRecord): void {
    // Resolved (and not flapping) records stay only as long as the notification log, for de-duplication.
    const ttl = r.alert.status === 'resolved' && !r.flapping ? this.o.config.retention : 0;
    w.put(K.record(r.fingerprint), r, ttl);
  }

  /** A flushed group: both its documents (see GroupHead), or neither when nothing is left in it. */
  private putGroup(w: Writes, g: GroupDoc | null, key: string): void {
    if (g === null) {
      w.del(K.group(key));
      w.del(K.firing(key));
      w.unschedule(K.groupsDue, key);
      return;
    }
    const { head, firing } = splitGroup(g);
    w.put(K.firing(key), firing);
    this.putHead(w, head);
  }

  /** A group's timing after a change: its head document only. */
  private putHead(w: Writes, g: GroupHead): void {
    w.put(K.group(g.key), g);
    if (g.due === null) w.unschedule(K.groupsDue, g.key);
    else w.schedule(K.groupsDue, g.key, g.due);
  }

  private direct(receiver: string, reason: Notification['reason'], alert: Alert, now: number, ack?: AckInfo): Notification {
    return {
      id: stableId('direct', receiver, reason, alert.id, now),
      receiver,
      reason,
      groupKey: `direct:${alert.fingerprint}`,
      groupLabels: {},
      createdAt: now,
      alerts: [ack && ack.alertId === alert.id ? { ...alert, ack } : alert],
    };
  }

  // ---- mute stage: silences + inhibition, from one snapshot per pass ----

  /**
   * The mute stage now. Inhibition needs every firing alert (their records); without inhibit
   * rules nothing reads them, so a pass does not load thousands of records for nothing.
   */
  private async muter(now: number, active?: Map<string, AlertRecord>): Promise<Muter> {
    const [silences] = (await this.o.store.mget([K.silences])) as [SilencesDoc | undefined];
    const rules = this.o.inhibitRules ?? [];
    let firing: Array<{ fingerprint: string; labels: Record<string, string> }> = [];
    if (rules.length > 0) {
      const records = active ?? (await this.activeRecords());
      firing = [...records.values()].filter((r) => r.alert.status === 'firing').map((r) => ({ fingerprint: r.fingerprint, labels: r.alert.labels }));
    }
    return new MuteStage([new Silencer(Object.values(silences?.items ?? {}), now), new Inhibitor(rules, firing)]);
  }

  private async activeRecords(): Promise<Map<string, AlertRecord>> {
    const fps = await this.o.store.members(K.active);
    const docs = (await this.o.store.mget(fps.map(K.record))) as Array<AlertRecord | undefined>;
    const out = new Map<string, AlertRecord>();
    for (const r of docs) if (r) out.set(r.fingerprint, r);
    return out;
  }

  // ---- groups ----

  private routeById(id: string): Route | undefined {
    return this.router.all().find((r) => r.id === id);
  }

  /** Flushes groups whose due time has come (all of them with `force`: shutdown of a memory store). */
  private async flushDueGroups(force = false): Promise<void> {
    const now = this.o.clock.now();
    const keys = force ? await this.o.store.members(K.groupsDue) : await this.o.store.due(K.groupsDue, now, DUE_BATCH);
    if (keys.length === 0) return;
    // A flush needs some alerts' records (recordsForFlush: acks, the content of muted or repeated
    // alerts); usually, in a storm, none. So the transaction runs first with none read: if a group
    // needs records, it writes nothing, they are read, and it runs again — up to MAX_RECORD_PASSES
    // times if other workers keep changing the groups; then the groups still short of records stay
    // due for the next tick. Reading the groups up front to find out had cost a second parse of
    // every due group's documents per flush.
    const current = new Map<string, AlertRecord>();
    const asked = new Set<string>();
    const muter = await this.muter(now);
    for (let attempt = 0; ; attempt++) {
      const unread = await this.o.store.transact(
        [...keys.map(K.group), ...keys.map(K.firing)],
        (docs, w, queues) => {
          const groups = keys.map((_, i) => assembleGroup(docs[i] as GroupHead | undefined, docs[keys.length + i] as { firing: GroupDoc['firing'] } | undefined));
          const missing = groups.map((g, i) => (g ? recordsForFlush(g, queues[i] as PendingChange[], this.routeById(g.routeId), now).filter((fp) => !asked.has(fp)) : []));
          const all = missing.flat();
          if (all.length > 0 && attempt < MAX_RECORD_PASSES) return all; // no writes: nothing applied
          keys.forEach((key, i) => {
            // Still short of records after the last pass (other workers kept changing it): the
            // group stays due for the next tick rather than sending a partial repeat.
            if (missing[i].length === 0) this.flushOne(key, groups[i], queues[i] as PendingChange[], w, now, muter, current, force);
          });
          return [];
        },
        keys.map(K.pending),
      );
      if (unread.length === 0) return;
      const list = [...new Set(unread)];
      for (const fp of list) asked.add(fp);
      for (const r of (await this.o.store.mget(list.map(K.record))) as Array<AlertRecord | undefined>) if (r) current.set(r.fingerprint, r);
    }
  }

  /** One due group inside the flush transaction: its notification, its queue trimmed, the group written. */
  private flushOne(key: string, g: GroupDoc | undefined, queued: PendingChange[], w: Writes, now: number, muter: Muter, current: Map<string, AlertRecord>, force: boolean): void {
    const route = g && this.routeById(g.routeId);
    if (!g || !route || route.receiver !== g.receiver) {
      // Gone, or left over from a route that no longer exists: its pending changes go out as they are.
      const pending = [...(g?.pending ?? []), ...queued];
      const receiver = g?.receiver;
      if (g && receiver && pending.length > 0 && this.workers.has(receiver)) {
        w.enqueue(K.outbox(receiver), { id: stableId(g.key, g.createdAt, g.seq), receiver, reason: 'new', groupKey: g.key, groupLabels: g.labels, createdAt: now, alerts: pending.map((p) => p.alert) });
      }
      w.trim(K.pending(key), queued.length);
      this.putGroup(w, null, key);
      return;
    }
    if (!force && (g.due === null || g.due > now)) return; // another worker got there first
    const { group, notification } = flushGroup(g, queued, route, now, muter, current);
    w.trim(K.pending(key), queued.length);
    this.putGroup(w, group, key);
    if (notification) w.enqueue(K.outbox(notification.receiver), notification);
  }

  // ---- timers: escalation, flap settling ----

  private async runTimers(): Promise<void> {
    const now = this.o.clock.now();
    const due = await this.o.store.due(K.timers, now, DUE_BATCH);
    if (due.length === 0) return;
    let muter: Muter | null = null;
    for (const member of due) {
      const [kind, fp] = [member.slice(0, member.indexOf(':')), member.slice(member.indexOf(':') + 1)];
      if (kind === 'esc') {
        muter ??= await this.muter(now);
        await this.escalateOne(fp, member, now, muter);
      } else await this.settleOne(fp, member, now);
    }
  }

  private async escalateOne(fp: string, member: string, now: number, muter: Muter): Promise<void> {
    await this.o.store.transact([K.record(fp)], (docs, w) => {
      const r = docs[0] as AlertRecord | undefined;
      if (!r) return void w.unschedule(K.timers, member);
      if (muter.mutedBy(r.alert.labels, fp) !== null) {
        // Silenced or inhibited: no escalation while muted; look again later.
        const next = nextEscalation(r, this.escalations);
        if (next === null) w.unschedule(K.timers, member);
        else w.schedule(K.timers, member, Math.max(next, now + 15_000));
        return;
      }
      const { record, receivers } = escalate(r, this.escalations, now);
      for (const { receiver } of receivers) w.enqueue(K.outbox(receiver), this.direct(receiver, 'escalation', record.alert, now));
      if (receivers.length > 0) this.putRecord(w, record);
      const next = nextEscalation(record, this.escalations);
      if (next === null) w.unschedule(K.timers, member);
      else w.schedule(K.timers, member, next);
    });
  }

  private async settleOne(fp: string, member: string, now: number): Promise<void> {
    const [pre] = (await this.o.store.mget([K.record(fp)])) as [AlertRecord | undefined];
    const routes = pre ? this.routesFor(pre.alert) : [];
    await this.o.store.transact([K.record(fp), ...routes.map((r) => K.group(r.key))], (docs, w) => {
      const r = docs[0] as AlertRecord | undefined;
      if (!r || !r.flapping) return void w.unschedule(K.timers, member);
      const { record, settled, recheckAt } = settleFlap(r, now, this.o.config.flap);
      if (!settled) return void w.schedule(K.timers, member, recheckAt!);
      w.unschedule(K.timers, member);
      this.putRecord(w, record);
      // The routes were computed from the same alert (the record is unchanged, or we retry).
      if (r.alert.id === pre?.alert.id) {
        routes.forEach((x, i) => {
          this.putHead(w, touchGroup(docs[i + 1] as GroupHead | undefined, x.route, x.key, x.labels, now));
          w.enqueue<PendingChange>(K.pending(x.key), { alert: record.alert, kind: 'settled' });
        });
      }
    });
  }

  // ---- delivery ----

  private async deliver(all: boolean): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const w of this.workers.values()) {
      const p = w.pump();
      // Inline (from dispatch) only wait for receivers that are up; a failing one must not hold the batch.
      if (all || w.healthy) waits.push(p);
      else p.catch((err: unknown) => this.log.warn({ err, receiver: w.name }, 'delivery pump failed'));
    }
    await Promise.all(waits);
  }

  // ---- people in the loop: the API's operations ----

  /** Firing alerts with evidence, ack, flapping and whether (and why) they are muted now. */
  async activeAlerts(): Promise<ActiveAlertView[]> {
    const now = this.o.clock.now();
    const records = await this.activeRecords();
    const muter = await this.muter(now, records);
    return [...records.values()]
      .filter((r) => r.alert.status === 'firing')
      .map((r) => ({
        ...alertJson(r.flapping ? { ...r.alert, flapping: true } : r.alert),
        ...(r.ack ? { ack: { by: r.ack.by, at: new Date(r.ack.at).toISOString(), ...(r.ack.comment ? { comment: r.ack.comment } : {}) } } : {}),
        mutedBy: muter.mutedBy(r.alert.labels, r.fingerprint),
        ...(r.escalated ? { escalatedTo: r.escalated.receivers } : {}),
      })) as ActiveAlertView[];
  }

  /** Acknowledges a firing alert by its id (or fingerprint): it stops repeating and escalating. */
  async ack(idOrFingerprint: string, by: string, comment?: string): Promise<AckInfo> {
    const records = await this.activeRecords();
    const target = [...records.values()].find((r) => r.alert.status === 'firing' && (r.alert.id === idOrFingerprint || r.fingerprint === idOrFingerprint));
    if (!target) throw inputError(404, `no firing alert with id ${JSON.stringify(idOrFingerprint)}`);
    return this.o.store.transact([K.record(target.fingerprint)], (docs, w) => {
      const r = docs[0] as AlertRecord | undefined;
      if (!r || r.alert.status !== 'firing' || r.alert.id !== target.alert.id) throw inputError(409, `alert ${idOrFingerprint} changed state meanwhile; list alerts again`);
      const ack: AckInfo = { alertId: r.alert.id, by, at: this.o.clock.now(), ...(comment ? { comment } : {}) };
      if (r.ack) return r.ack; // acknowledged already: the first ack stands
      this.putRecord(w, { ...r, ack });
      w.unschedule(K.timers, `esc:${r.fingerprint}`);
      return ack;
    });
  }

  async silences(): Promise<Array<Silence & { state: string }>> {
    const now = this.o.clock.now();
    const [doc] = (await this.o.store.mget([K.silences])) as [SilencesDoc | undefined];
    return Object.values(doc?.items ?? {})
      .sort((a, b) => a.createdAt - b.createdAt)
      .map((s) => ({ ...s, state: silenceState(s, now) }));
  }

  async createSilence(input: { matchers: string[]; startsAt?: number; endsAt: number; createdBy: string; comment?: string }): Promise<Silence> {
    parseMatchers(input.matchers); // throws MatcherError on a bad one: nothing is stored
    const now = this.o.clock.now();
    const startsAt = input.startsAt ?? now;
    if (input.endsAt <= startsAt) throw inputError(400, 'endsAt must be after startsAt');
    if (input.endsAt <= now) throw inputError(400, 'endsAt is in the past');
    const silence: Silence = { id: randomUUID(), matchers: input.matchers, startsAt, endsAt: input.endsAt, createdBy: input.createdBy, comment: input.comment ?? '', createdAt: now };
    await this.o.store.transact([K.silences], (docs, w) => {
      const doc = (docs[0] as SilencesDoc | undefined) ?? { items: {} };
      const items: Record<string, Silence> = {};
      for (const s of Object.values(doc.items)) if (s.endsAt > now - this.o.config.retention) items[s.id] = s; // forget long-expired ones
      items[silence.id] = silence;
      w.put(K.silences, { items });
    });
    return silence;
  }

  /** Expires a silence now (kept, as expired, for the retention time). */
  async expireSilence(id: string): Promise<Silence> {
    return this.o.store.transact([K.silences], (docs, w) => {
      const now = this.o.clock.now();
      const doc = docs[0] as SilencesDoc | undefined;
      const s = doc?.items[id];
      if (!s) throw inputError(404, `no silence with id ${JSON.stringify(id)}`);
      if (silenceState(s, now) === 'expired') throw inputError(409, `silence ${id} has already expired`);
      const expired = { ...s, endsAt: now };
      w.put(K.silences, { items: { ...doc!.items, [id]: expired } });
      return expired;
    });
  }

  /** Numbers for /metrics: outbox depth per receiver and active alerts by state. */
  async snapshot(): Promise<{ outbox: Record<string, number>; dead: Record<string, number>; alerts: Record<string, number> }> {
    const outbox: Record<string, number> = {};
    const dead: Record<string, number> = {};
    for (const name of this.workers.keys()) {
      outbox[name] = await this.o.store.depth(K.outbox(name));
      dead[name] = await this.o.store.depth(K.dead(name));
    }
    const alerts = { firing: 0, acked: 0, flapping: 0, muted: 0 };
    for (const a of await this.activeAlerts()) {
      alerts.firing++;
      if (a.ack) alerts.acked++;
      if (a.flapping) alerts.flapping++;
      if (a.mutedBy) alerts.muted++;
    }
    return { outbox, dead, alerts };
  }

  /**
   * Stops the poll loop and delivers what it can. With a memory store, groups still waiting are
   * flushed now (their state would be lost); with a shared store they stay for the other workers
   * or the next start.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopLoop();
    // Bounded: with the store unreachable (Redis down) a final drain would wait forever.
    const limit = this.o.config.delivery.drain_timeout + 1000;
    if ((await settleWithin(this.drainOnClose(), limit)) === 'timeout') this.log.warn({ limitMs: limit }, 'final alert delivery did not finish in time (store or receivers unavailable); undelivered notifications stay in the outbox when it is Redis');
    await Promise.race([Promise.allSettled([...this.workers.values()].map((w) => w.release())), new Promise((r) => setTimeout(r, 1000).unref())]);
    await Promise.allSettled(this.o.receivers.map((r) => r.close()));
    await this.o.store.close();
  }

  private async drainOnClose(): Promise<void> {
    await this.ticking?.catch(() => undefined);
    await this.idle();
    try {
      if (!this.o.store.shared) {
        await this.flushDueGroups(true);
        const deadline = Date.now() + this.o.config.delivery.drain_timeout;
        await this.deliver(true);
        while ((await this.undelivered()) > 0 && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 100));
          for (const w of this.workers.values()) w.retryNow();
          await this.deliver(true);
        }
        const left = await this.undelivered();
        if (left > 0) this.log.error({ notifications: left }, 'stopping with undelivered notifications (memory store: they are lost; use the redis store to keep them)');
      } else {
        await this.deliver(false);
        const left = await this.undelivered();
        if (left > 0) this.log.warn({ notifications: left }, 'stopping with undelivered notifications; they stay in Redis for the other workers or the next start');
      }
    } catch (err) {
      this.log.warn({ err }, 'final alert delivery failed');
    }
  }

  private async undelivered(): Promise<number> {
    let n = 0;
    for (const name of this.workers.keys()) n += await this.o.store.depth(K.outbox(name));
    return n;
  }
}

function inputError(status: number, message: string): FlowwatchError {
  return new FlowwatchError('FW_INPUT', message, { details: { status } });
}
