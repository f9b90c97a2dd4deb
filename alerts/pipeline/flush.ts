import {
  assembleGroup,
  flushGroup,
  groupNotificationId,
  recordsForFlush,
  type GroupDoc,
  type GroupHead,
  type PendingChange,
} from '../group/group';
import type { Muter } from '../mute/muter';
import type { AlertRecord } from '../record';
import { K, type Writes } from '../store/types';
import { DUE_BATCH, type StageContext } from './context';
import { muterNow } from './current';
import { putGroup } from './documents';

/** Flush transactions that may stop to read the records they need, before the last one. */
const MAX_RECORD_PASSES = 3;

/** What the flushes of one pass over the due groups share. */
interface FlushPass {
  now: number;
  /** Silences and inhibition as of `now`. */
  muter: Muter;
  /** Alert records read for this pass (acks, the content of muted or repeated alerts), by fingerprint. */
  current: Map<string, AlertRecord>;
  /** Flush even groups not due yet (shutdown of a memory store). */
  force: boolean;
}

/** One due group as the flush transaction read it. */
interface DueGroup {
  key: string;
  group: GroupDoc | undefined;
  /** Its changes queued since the last flush (K.pending). */
  queued: PendingChange[];
}

/**
 * Flush: groups whose time has come (group_wait, group_interval, repeat, a mute re-check) go
 * through the mute stage (silences + inhibition) and become notifications in their receiver's
 * outbox, in the same transaction that writes the group.
 */
export class Flush {
  constructor(private readonly ctx: StageContext) {}

  /** Flushes groups whose due time has come (all of them with `force`: shutdown of a memory store). */
  async flushDue(force = false): Promise<void> {
    const { store, clock } = this.ctx;
    const now = clock.now();
    const keys = force ? await store.members(K.groupsDue) : await store.due(K.groupsDue, now, DUE_BATCH);
    if (keys.length === 0) return;
    // A flush needs some alerts' records (recordsForFlush: acks, the content of muted or repeated
    // alerts); usually, in a storm, none. So the transaction runs first with none read: if a group
    // needs records, it writes nothing, they are read, and it runs again — up to MAX_RECORD_PASSES
    // times if other workers keep changing the groups; then the groups still short of records stay
    // due for the next tick. Reading the groups up front to find out had cost a second parse of
    // every due group's documents per flush.
    const pass: FlushPass = { now, muter: await muterNow(this.ctx, now), current: new Map(), force };
    const asked = new Set<string>();
    for (let attempt = 0; ; attempt++) {
      const unread = await this.flushOnce(keys, pass, asked, attempt < MAX_RECORD_PASSES);
      if (unread.length === 0) return;
      const list = [...new Set(unread)];
      for (const fp of list) asked.add(fp);
      for (const r of (await store.mget(list.map(K.record))) as Array<AlertRecord | undefined>) if (r) pass.current.set(r.fingerprint, r);
    }
  }

  /**
   * One flush transaction over the due groups. Returns the fingerprints whose records must be
   * read first (and writes nothing), or [] once it has flushed. `mayAsk` is false on the last pass.
   */
  private flushOnce(keys: readonly string[], pass: FlushPass, asked: ReadonlySet<string>, mayAsk: boolean): Promise<string[]> {
    const { store, router } = this.ctx;
    return store.transact(
      [...keys.map(K.group), ...keys.map(K.firing)],
      (docs, w, queues) => {
        const due: DueGroup[] = keys.map((key, i) => ({
          key,
          group: assembleGroup(docs[i] as GroupHead | undefined, docs[keys.length + i] as { firing: GroupDoc['firing'] } | undefined),
          queued: queues[i] as PendingChange[],
        }));
        const missing = due.map((d) =>
          d.group ? recordsForFlush(d.group, d.queued, router.byId(d.group.routeId), pass.now).filter((fp) => !asked.has(fp)) : [],
        );
        const all = missing.flat();
        if (all.length > 0 && mayAsk) return all; // no writes: nothing applied
        due.forEach((d, i) => {
          // Still short of records after the last pass (other workers kept changing it): the
          // group stays due for the next tick rather than sending a partial repeat.
          if (missing[i].length === 0) flushOne(this.ctx, w, pass, d);
        });
        return [];
      },
      keys.map(K.pending),
    );
  }
}

/** One due group inside the flush transaction: its notification, its queue trimmed, the group written. */
function flushOne(ctx: StageContext, w: Writes, pass: FlushPass, { key, group: g, queued }: DueGroup): void {
  const route = g && ctx.router.byId(g.routeId);
  if (!g || !route || route.receiver !== g.receiver) {
    // Gone, or left over from a route that no longer exists: its pending changes go out as they are.
    const pending = [...(g?.pending ?? []), ...queued];
    const receiver = g?.receiver;
    const alerts = pending.map((p) => p.alert);
    if (g && receiver && pending.length > 0 && ctx.receivers.includes(receiver)) {
      w.enqueue(K.outbox(receiver), {
        id: groupNotificationId(g, alerts),
        receiver,
        reason: 'new',
        groupKey: g.key,
        groupLabels: g.labels,
        createdAt: pass.now,
        alerts,
      });
    }
    w.trim(K.pending(key), queued.length);
    putGroup(w, null, key);
    return;
  }
  if (!pass.force && (g.due === null || g.due > pass.now)) return; // another worker got there first
  const { group, notification } = flushGroup(g, queued, route, pass.now, pass.muter, pass.current);
  w.trim(K.pending(key), queued.length);
  putGroup(w, group, key);
  if (notification) w.enqueue(K.outbox(notification.receiver), notification);
}
