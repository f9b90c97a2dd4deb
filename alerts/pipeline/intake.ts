import type { Alert } from '../../kernel/types';
import { groupTargets, touchGroup, type ChangeKind, type GroupHead, type GroupTarget, type PendingChange } from '../group/group';
import { RESENT_LABEL, RESENT_STORE_LOSS } from '../identity';
import { directNotification } from '../notification';
import { acceptChange, type AlertRecord } from '../record';
import { K, type Writes } from '../store/types';
import type { StageContext } from './context';
import { putHead, putRecord, recordWrites } from './documents';

/** One alert of the batch, with the groups its routes put it in. */
interface Planned {
  alert: Alert;
  targets: GroupTarget[];
}

/** A batch inside its transaction: the documents as read, and what the batch made of them so far. */
interface Batch {
  w: Writes;
  now: number;
  read(key: string): unknown;
  records: Map<string, AlertRecord>;
  groups: Map<string, GroupHead>;
  /** Status of each change accepted (for metrics, once the transaction has committed). */
  statuses: string[];
  /** The changes accepted (not duplicates), for incident correlation. */
  accepted: Alert[];
}

/**
 * Intake: alert state changes become alert records (de-duplicated by id, checked for flapping)
 * and changes queued in their groups (routing tree, then group_by) — the whole batch in one
 * store transaction, so it is durable before the batch moves on.
 */
export class Intake {
  constructor(private readonly ctx: StageContext) {}

  /**
   * The batch's state changes in one store transaction: every record and group they touch is
   * read once, the changes are applied in order in memory, and each document is written once —
   * a batch with many alerts for one group rewrites that group once, not once per alert.
   */
  async accept(alerts: readonly Alert[]): Promise<void> {
    const plans: Planned[] = alerts.map((alert) => ({ alert, targets: groupTargets(this.ctx.router, alert.labels) }));
    const { keys, slot } = documentsOf(plans, this.ctx.incidents?.keysFor(alerts) ?? []);
    const accepted = await this.ctx.store.transact(keys, (docs, w) => {
      // Built afresh on every run: the store may run this function again (another worker wrote meanwhile).
      const batch: Batch = {
        w,
        now: this.ctx.clock.now(),
        read: (key) => docs[slot.get(key)!],
        records: new Map(),
        groups: new Map(),
        statuses: [],
        accepted: [],
      };
      for (const plan of plans) this.acceptOne(batch, plan);
      this.ctx.incidents?.apply(batch.accepted, batch.read, w, batch.now);
      for (const r of batch.records.values()) putRecord(this.ctx, w, r);
      for (const g of batch.groups.values()) putHead(w, g);
      return batch.statuses;
    });
    for (const status of accepted) this.ctx.metrics?.change(status);
  }

  private acceptOne(b: Batch, { alert, targets }: Planned): void {
    const fp = alert.fingerprint;
    const prev = b.records.get(fp) ?? (b.read(K.record(fp)) as AlertRecord | undefined);
    if (isStale(alert, prev)) return;
    const { record, decision } = acceptChange(prev, alert, b.now, this.ctx.config.flap);
    if (decision === 'duplicate') return;
    b.statuses.push(alert.status);
    b.accepted.push(alert);
    b.records.set(fp, record);
    recordWrites(this.ctx, b.w, record);
    if (decision === 'suppress') return;
    if (alert.status === 'resolved' && prev === undefined) {
      // A resolve for an alert this store never saw firing: the store was wiped (or is memory
      // and the worker restarted) after the firing was notified. A group would drop it (it
      // sends a resolve only where it sent the firing), and on-call would never hear the
      // alert cleared: it goes straight to the receivers of its routes — better a resolve
      // for a firing they missed than a firing that never ends.
      for (const receiver of new Set(targets.map((t) => t.route.receiver)))
        b.w.enqueue(K.outbox(receiver), directNotification(receiver, 'new', alert, b.now));
      return;
    }
    const kind: ChangeKind = decision === 'flapping' ? 'flapping' : 'new';
    for (const t of targets) {
      const mine = b.groups.get(t.key);
      b.groups.set(
        t.key,
        touchGroup(mine ?? (b.read(K.group(t.key)) as GroupHead | undefined), t.route, t.key, t.labels, b.now, mine !== undefined),
      );
      b.w.enqueue<PendingChange>(K.pending(t.key), { alert, kind });
    }
    // Whoever an escalation reached hears the resolution too.
    if (alert.status === 'resolved' && prev?.escalated) {
      for (const receiver of prev.escalated.receivers) {
        if (targets.some((t) => t.route.receiver === receiver)) continue;
        b.w.enqueue(K.outbox(receiver), directNotification(receiver, 'new', alert, b.now, prev.ack));
      }
    }
  }
}

/** The documents a batch reads — each alert's record and each group it joins, once — and each one's place in the list. */
function documentsOf(plans: readonly Planned[], extra: readonly string[]): { keys: string[]; slot: Map<string, number> } {
  const keys: string[] = [];
  const slot = new Map<string, number>();
  const want = (key: string) => {
    if (!slot.has(key)) slot.set(key, keys.push(key) - 1);
  };
  for (const p of plans) {
    want(K.record(p.alert.fingerprint));
    for (const t of p.targets) want(K.group(t.key));
  }
  for (const key of extra) want(key);
  return { keys, slot };
}

/** A change that is no news to the stored record: it belongs to an episode the store has moved past. */
function isStale(alert: Alert, prev: AlertRecord | undefined): boolean {
  // A firing re-sent after the state store was lost (worker/store-recovery.ts) is only news
  // to an alert store that lost this episode too.
  if (alert.labels[RESENT_LABEL] === RESENT_STORE_LOSS && prev !== undefined && prev.alert.startsAt >= alert.startsAt) return true;
  // A resolve that ends before the stored episode began belongs to an earlier episode (a
  // replay, or a store that outlived a run): it must not end the later one — an alert never
  // ends before it starts.
  return alert.status === 'resolved' && prev?.alert.status === 'firing' && (alert.endsAt ?? alert.startsAt) < prev.alert.startsAt;
}
