import { randomUUID } from 'node:crypto';
import { FlowwatchError } from '../../kernel/errors';
import { parseMatchers } from '../matchers';
import { silenceState, type Silence, type SilencesDoc } from '../mute/silence';
import { alertJson, type AckInfo } from '../notification';
import type { AlertRecord } from '../record';
import { K } from '../store/types';
import type { StageContext } from './context';
import { activeRecords, firingRecord, muterNow } from './current';
import { putRecord } from './documents';
import { AUDIT_KEY, appended, entryBy, type Actor, type AuditDoc } from './audit';

/** An active alert as the API shows it. */
export interface ActiveAlertView extends Record<string, unknown> {
  id: string;
  fingerprint: string;
  mutedBy: string | null;
}

export interface SilenceInput {
  matchers: string[];
  startsAt?: number;
  endsAt: number;
  createdBy: string;
  comment?: string;
  /** The creating user's teams (absent: an admin's silence). */
  teams?: string[];
}

export interface AlertingSnapshot {
  outbox: Record<string, number>;
  dead: Record<string, number>;
  alerts: Record<string, number>;
}

/**
 * People in the loop: what the HTTP API asks of the pipeline — the active alerts, acks,
 * silences (create, expire, list) and the numbers for /metrics. Refusals are FW_INPUT errors
 * carrying the HTTP status to answer with.
 */
export class Commands {
  constructor(private readonly ctx: StageContext) {}

  /** Firing alerts with evidence, ack, flapping and whether (and why) they are muted now. */
  async activeAlerts(): Promise<ActiveAlertView[]> {
    const now = this.ctx.clock.now();
    const records = await activeRecords(this.ctx);
    const muter = await muterNow(this.ctx, now, records);
    return [...records.values()]
      .filter((r) => r.alert.status === 'firing')
      .map((r) => ({
        ...alertJson(r.flapping ? { ...r.alert, flapping: true } : r.alert),
        ...(r.ack
          ? { ack: { by: r.ack.by, at: new Date(r.ack.at).toISOString(), ...(r.ack.comment ? { comment: r.ack.comment } : {}) } }
          : {}),
        mutedBy: muter.mutedBy(r.alert.labels, r.fingerprint),
        ...(r.escalated ? { escalatedTo: r.escalated.receivers } : {}),
        ...(r.owner ? { owner: { ...r.owner, at: new Date(r.owner.at).toISOString() } } : {}),
        ...(r.states ? { states: r.states.map((x) => ({ status: x.status, at: new Date(x.at).toISOString() })) } : {}),
      })) as ActiveAlertView[];
  }

  /** Acknowledges a firing alert by its id (or fingerprint): it stops repeating and escalating. */
  async ack(idOrFingerprint: string, by: string, comment?: string, actor?: Actor): Promise<AckInfo> {
    const target = await firingRecord(this.ctx, idOrFingerprint, (m) => inputError(404, m));
    return this.ctx.store.transact([K.record(target.fingerprint), AUDIT_KEY], (docs, w) => {
      const r = docs[0] as AlertRecord | undefined;
      if (!r || r.alert.status !== 'firing' || r.alert.id !== target.alert.id)
        throw inputError(409, `alert ${idOrFingerprint} changed state meanwhile; list alerts again`);
      const ack: AckInfo = { alertId: r.alert.id, by, at: this.ctx.clock.now(), ...(comment ? { comment } : {}) };
      if (r.ack) return r.ack; // acknowledged already: the first ack stands
      putRecord(this.ctx, w, { ...r, ack });
      w.unschedule(K.timers, `esc:${r.fingerprint}`);
      const entry = {
        ...entryBy(actor, 'ack', ack.at),
        by,
        fingerprint: r.fingerprint,
        alertId: r.alert.id,
        ...(comment ? { text: comment } : {}),
      };
      w.put(AUDIT_KEY, appended(docs[1] as AuditDoc | undefined, entry, this.ctx.config.retention));
      return ack;
    });
  }

  async silences(): Promise<Array<Silence & { state: string }>> {
    const now = this.ctx.clock.now();
    const [doc] = (await this.ctx.store.mget([K.silences])) as [SilencesDoc | undefined];
    return Object.values(doc?.items ?? {})
      .sort((a, b) => a.createdAt - b.createdAt)
      .map((s) => ({ ...s, state: silenceState(s, now) }));
  }

  async createSilence(input: SilenceInput, actor?: Actor): Promise<Silence> {
    parseMatchers(input.matchers); // throws MatcherError on a bad one: nothing is stored
    const now = this.ctx.clock.now();
    const startsAt = input.startsAt ?? now;
    if (input.endsAt <= startsAt) throw inputError(400, 'endsAt must be after startsAt');
    if (input.endsAt <= now) throw inputError(400, 'endsAt is in the past');
    const silence: Silence = {
      id: randomUUID(),
      matchers: input.matchers,
      startsAt,
      endsAt: input.endsAt,
      createdBy: input.createdBy,
      comment: input.comment ?? '',
      createdAt: now,
      ...(input.teams ? { teams: input.teams } : {}),
    };
    await this.ctx.store.transact([K.silences, AUDIT_KEY], (docs, w) => {
      const doc = (docs[0] as SilencesDoc | undefined) ?? { items: {} };
      const items: Record<string, Silence> = {};
      for (const s of Object.values(doc.items)) if (s.endsAt > now - this.ctx.config.retention) items[s.id] = s; // forget long-expired ones
      items[silence.id] = silence;
      w.put(K.silences, { items });
      const entry = {
        ...entryBy(actor, 'silence', now),
        silence: silence.id,
        matchers: silence.matchers,
        text: silence.comment || undefined,
      };
      w.put(AUDIT_KEY, appended(docs[1] as AuditDoc | undefined, entry, this.ctx.config.retention));
    });
    return silence;
  }

  /** Expires a silence now (kept, as expired, for the retention time). */
  async expireSilence(id: string, actor?: Actor): Promise<Silence> {
    return this.ctx.store.transact([K.silences, AUDIT_KEY], (docs, w) => {
      const now = this.ctx.clock.now();
      const doc = docs[0] as SilencesDoc | undefined;
      const s = doc?.items[id];
      if (!s) throw inputError(404, `no silence with id ${JSON.stringify(id)}`);
      if (silenceState(s, now) === 'expired') throw inputError(409, `silence ${id} has already expired`);
      const expired = { ...s, endsAt: now };
      w.put(K.silences, { items: { ...doc!.items, [id]: expired } });
      const entry = { ...entryBy(actor, 'expire', now), silence: id, matchers: s.matchers };
      w.put(AUDIT_KEY, appended(docs[1] as AuditDoc | undefined, entry, this.ctx.config.retention));
      return expired;
    });
  }

  /** Numbers for /metrics: outbox depth per receiver and active alerts by state. */
  async snapshot(): Promise<AlertingSnapshot> {
    const outbox: Record<string, number> = {};
    const dead: Record<string, number> = {};
    for (const name of this.ctx.receivers) {
      outbox[name] = await this.ctx.store.depth(K.outbox(name));
      dead[name] = await this.ctx.store.depth(K.dead(name));
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
}

export function inputError(status: number, message: string): FlowwatchError {
  return new FlowwatchError('FW_INPUT', message, { details: { status } });
}
