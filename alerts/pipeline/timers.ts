import { escalate, nextEscalation } from '../escalation';
import { groupTargets, touchGroup, type GroupHead, type PendingChange } from '../group/group';
import type { Muter } from '../mute/muter';
import { directNotification } from '../notification';
import { settleFlap, type AlertRecord } from '../record';
import { K } from '../store/types';
import { DUE_BATCH, type StageContext } from './context';
import { muterNow } from './current';
import { putHead, putRecord } from './documents';

/** How long a muted alert's escalation waits before it is looked at again. */
const MUTED_ESCALATION_RECHECK_MS = 15_000;

/**
 * Timers: per-alert due times in the store's timer index — escalation of an unacknowledged
 * firing alert ("esc:<fingerprint>") and settling of a flapping one ("flap:<fingerprint>").
 * Looked at on each tick with the injected clock, so any worker sharing the store acts on them, once.
 */
export class Timers {
  constructor(private readonly ctx: StageContext) {}

  async runDue(): Promise<void> {
    const now = this.ctx.clock.now();
    const due = await this.ctx.store.due(K.timers, now, DUE_BATCH);
    if (due.length === 0) return;
    let muter: Muter | null = null;
    for (const member of due) {
      const [kind, fp] = [member.slice(0, member.indexOf(':')), member.slice(member.indexOf(':') + 1)];
      if (kind === 'esc') {
        muter ??= await muterNow(this.ctx, now);
        await this.escalateOne(fp, member, now, muter);
      } else await this.settleOne(fp, member, now);
    }
  }

  private async escalateOne(fp: string, member: string, now: number, muter: Muter): Promise<void> {
    const { store, escalations } = this.ctx;
    await store.transact([K.record(fp)], (docs, w) => {
      const r = docs[0] as AlertRecord | undefined;
      if (!r) return void w.unschedule(K.timers, member);
      if (muter.mutedBy(r.alert.labels, fp) !== null) {
        // Silenced or inhibited: no escalation while muted; look again later.
        const next = nextEscalation(r, escalations);
        if (next === null) w.unschedule(K.timers, member);
        else w.schedule(K.timers, member, Math.max(next, now + MUTED_ESCALATION_RECHECK_MS));
        return;
      }
      const { record, receivers } = escalate(r, escalations, now);
      for (const { receiver } of receivers) w.enqueue(K.outbox(receiver), directNotification(receiver, 'escalation', record.alert, now));
      if (receivers.length > 0) putRecord(this.ctx, w, record);
      const next = nextEscalation(record, escalations);
      if (next === null) w.unschedule(K.timers, member);
      else w.schedule(K.timers, member, next);
    });
  }

  private async settleOne(fp: string, member: string, now: number): Promise<void> {
    const { store, router, config } = this.ctx;
    const [pre] = (await store.mget([K.record(fp)])) as [AlertRecord | undefined];
    const targets = pre ? groupTargets(router, pre.alert.labels) : [];
    await store.transact([K.record(fp), ...targets.map((t) => K.group(t.key))], (docs, w) => {
      const r = docs[0] as AlertRecord | undefined;
      if (!r || !r.flapping) return void w.unschedule(K.timers, member);
      const { record, settled, recheckAt } = settleFlap(r, now, config.flap);
      if (!settled) return void w.schedule(K.timers, member, recheckAt!);
      w.unschedule(K.timers, member);
      putRecord(this.ctx, w, record);
      // The targets were computed from the same alert (the record is unchanged, or we retry).
      if (r.alert.id === pre?.alert.id) {
        targets.forEach((t, i) => {
          putHead(w, touchGroup(docs[i + 1] as GroupHead | undefined, t.route, t.key, t.labels, now));
          w.enqueue<PendingChange>(K.pending(t.key), { alert: record.alert, kind: 'settled' });
        });
      }
    });
  }
}
