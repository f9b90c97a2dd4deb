import type { Clock } from '../../kernel/clock';
import { FlowwatchError } from '../../kernel/errors';
import type { Alert } from '../../kernel/types';
import { stableId, type Notification } from '../notification';
import { K, type AlertStore, type Writes } from '../store/types';
import type { IncidentsConfig } from './config';
import {
  acknowledge,
  applyChange,
  close,
  compileRule,
  isEnded,
  joinValue,
  type CompiledRule,
  type CorrelationDoc,
  type Incident,
} from './incident';

/** Store keys of incidents (under the alert store's prefix, like K in store/types.ts). */
export const IK = {
  /** The correlation document of one rule and joined value: candidates and the open incident. */
  corr: (rule: string, value: string) => `incc:${rule}:${value}`,
  /** Where an incident's correlation document is (written once, when it opens). */
  ref: (id: string) => `incr:${id}`,
  /** An ended incident (resolved or closed), kept `retention`. */
  ended: (id: string) => `ince:${id}`,
  /** Index of open incidents by opening time, and of ended ones by end time. */
  open: 'incidents:open',
  endedIndex: 'incidents:ended',
} as const;

function notFound(id: string): FlowwatchError {
  return new FlowwatchError('FW_USAGE', `no incident with id ${JSON.stringify(id)}`, { details: { status: 404 } });
}

/** One notification per department concerned for each new version of an incident: the id is stable, so a retry or a second worker is one delivery. */
export function incidentNotifications(inc: Incident, now: number): Notification[] {
  const latest = inc.timeline.filter((e) => e.at === inc.updatedAt).map((e) => e.kind);
  return inc.departments.map((d) => ({
    id: stableId('incident', inc.id, inc.version, d.name),
    receiver: d.receiver,
    reason: 'incident' as const,
    groupKey: `incident:${inc.id}`,
    groupLabels: { incident: inc.id, department: d.name, rule: inc.rule, [inc.anchor.label]: inc.anchor.value },
    createdAt: now,
    alerts: inc.members.map((m) => m.alert),
    incident: {
      id: inc.id,
      title: inc.title,
      status: inc.status,
      severity: inc.severity,
      version: inc.version,
      department: d.name,
      change: [...new Set(latest)],
      departments: inc.departments.map((x) => ({ name: x.name, ...(x.ack ? { ackedBy: x.ack.by } : {}) })),
    },
  }));
}

/**
 * Incidents: correlation inside the intake transaction (keysFor + apply), and what the API asks
 * (list, get, ack, close). Every change writes the incident and its notifications in one
 * transaction, under the correlation document's version.
 */
export class Incidents {
  readonly rules: CompiledRule[];

  constructor(
    private readonly o: {
      config: IncidentsConfig;
      store: AlertStore;
      clock: Clock;
      retention: number;
      receivers: readonly string[];
      /** Called after a change by hand has put notifications in the outboxes. */
      delivered?: () => void;
    },
  ) {
    this.rules = o.config.rules.map((r) => compileRule(r, o.config.departments));
    for (const r of this.rules)
      for (const d of r.departments)
        if (!o.receivers.includes(d.receiver))
          throw new FlowwatchError(
            'FW_NOTIFY',
            `incident rule ${r.rule.name}: department ${d.name} names receiver "${d.receiver}", which is not configured`,
          );
  }

  /** The correlation documents a batch must read (intake adds them to its transaction). */
  keysFor(alerts: readonly Alert[]): string[] {
    const keys = new Set<string>();
    for (const a of alerts)
      for (const r of this.rules) {
        const v = joinValue(r, a);
        if (v !== undefined) keys.add(IK.corr(r.rule.name, v));
      }
    return [...keys];
  }

  /** Inside the intake transaction: the accepted changes against their correlation documents. */
  apply(accepted: readonly Alert[], read: (key: string) => unknown, w: Writes, now: number): void {
    const docs = new Map<string, { rule: CompiledRule; doc: CorrelationDoc | undefined; dirty: boolean }>();
    for (const a of accepted)
      for (const r of this.rules) {
        const v = joinValue(r, a);
        if (v === undefined) continue;
        const key = IK.corr(r.rule.name, v);
        const cur = docs.get(key) ?? { rule: r, doc: read(key) as CorrelationDoc | undefined, dirty: false };
        const res = applyChange(r, cur.doc, a, v, now);
        cur.doc = res.doc;
        cur.dirty = cur.dirty || res.changed;
        docs.set(key, cur);
        if (res.opened) {
          w.put(IK.ref(res.doc.incident!.id), { corr: key });
          w.schedule(IK.open, res.doc.incident!.id, now);
        }
        // Ended now: notified and archived before a later change in this batch starts afresh.
        if (cur.dirty && res.doc.incident && isEnded(res.doc.incident)) {
          this.publish(w, res.doc.incident, now);
          res.doc.incident = undefined;
          cur.dirty = false;
        }
      }
    for (const [key, { rule, doc, dirty }] of docs) {
      if (dirty && doc?.incident) this.publish(w, doc.incident, now);
      this.putDoc(w, key, rule, doc);
    }
  }

  /** A new version of an incident: its notifications into the departments' outboxes; archived when it ended. */
  private publish(w: Writes, inc: Incident, now: number): void {
    inc.version++;
    for (const n of incidentNotifications(inc, now)) w.enqueue(K.outbox(n.receiver), n);
    if (isEnded(inc)) {
      w.put(IK.ended(inc.id), inc, this.o.retention);
      w.unschedule(IK.open, inc.id);
      w.schedule(IK.endedIndex, inc.id, now);
    }
  }

  private putDoc(w: Writes, key: string, rule: CompiledRule, doc: CorrelationDoc | undefined): void {
    if (!doc || (!doc.incident && doc.candidates.length === 0)) w.del(key);
    // Candidates only: gone after a quiet while; an open incident stays.
    else w.put(key, doc, doc.incident ? 0 : Math.max(this.o.retention, rule.rule.window * 2));
  }

  // ---- what the API asks ----

  /** Open incidents, then ended ones still kept (newest first). */
  async list(): Promise<Incident[]> {
    const { store, clock, retention } = this.o;
    const openIds = await store.members(IK.open);
    const endedIds = (await store.members(IK.endedIndex)).reverse();
    const open = (await Promise.all(openIds.map((id) => this.get(id)))).filter((i): i is Incident => i !== undefined && !isEnded(i));
    const ended = (await store.mget(endedIds.map(IK.ended))) as Array<Incident | undefined>;
    const gone = endedIds.filter((_, i) => ended[i] === undefined);
    if (gone.length > 0)
      await store.transact([], (_d, w) => {
        for (const id of gone) w.unschedule(IK.endedIndex, id);
      });
    return [...open.reverse(), ...ended.filter((i): i is Incident => i !== undefined && (i.endedAt ?? 0) > clock.now() - retention)];
  }

  async get(id: string): Promise<Incident | undefined> {
    const [ref, ended] = (await this.o.store.mget([IK.ref(id), IK.ended(id)])) as [{ corr: string } | undefined, Incident | undefined];
    if (ended) return ended;
    if (!ref) return undefined;
    const [doc] = (await this.o.store.mget([ref.corr])) as [CorrelationDoc | undefined];
    return doc?.incident?.id === id ? doc.incident : undefined;
  }

  ack(id: string, department: string, by: string, comment?: string): Promise<Incident> {
    return this.change(id, (inc, now) => {
      if (!inc.departments.some((d) => d.name === department))
        throw new FlowwatchError(
          'FW_USAGE',
          `department "${department}" is not involved in ${id}; departments: ${inc.departments.map((d) => d.name).join(', ')}`,
          { details: { status: 400 } },
        );
      return acknowledge(inc, department, by, now, comment);
    });
  }

  closeByHand(id: string, by: string, note: string): Promise<Incident> {
    return this.change(id, (inc, now) => close(inc, by, note, now));
  }

  /** A change by hand to an open incident, in one transaction on its correlation document. */
  private async change(id: string, fn: (inc: Incident, now: number) => Incident): Promise<Incident> {
    const [ref] = (await this.o.store.mget([IK.ref(id)])) as [{ corr: string } | undefined];
    if (!ref) throw notFound(id);
    const inc = await this.o.store.transact([ref.corr, IK.ended(id)], (docs, w) => {
      const doc = docs[0] as CorrelationDoc | undefined;
      if ((docs[1] as Incident | undefined) || doc?.incident?.id !== id)
        throw new FlowwatchError('FW_USAGE', `incident ${id} has ended; it can no longer be changed`, { details: { status: 409 } });
      const now = this.o.clock.now();
      const inc = fn(doc.incident, now);
      this.publish(w, inc, now);
      const next: CorrelationDoc = { ...doc, incident: isEnded(inc) ? undefined : inc };
      const rule = this.rules.find((r) => r.rule.name === doc.rule);
      if (rule) this.putDoc(w, ref.corr, rule, next);
      else w.put(ref.corr, next);
      return inc;
    });
    this.o.delivered?.();
    return inc;
  }
}
