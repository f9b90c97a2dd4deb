import { nextEscalation } from '../escalation';
import { splitGroup, type GroupDoc, type GroupHead } from '../group/group';
import type { AlertRecord } from '../record';
import { K, type Writes } from '../store/types';
import type { StageContext } from './context';

/**
 * How the stages write alert records and groups: each document together with the indexes that
 * point at it (active alerts, timers, due groups), so no stage can write one without the other.
 */

/** Index and timer writes of one accepted change (the record itself is written once per batch). */
export function recordWrites(ctx: StageContext, w: Writes, record: AlertRecord): void {
  const fp = record.fingerprint;
  if (record.alert.status === 'firing') w.schedule(K.active, fp, record.alert.startsAt);
  else w.unschedule(K.active, fp);
  if (record.flapping) w.schedule(K.timers, `flap:${fp}`, record.lastChange + ctx.config.flap.quiet);
  const esc = nextEscalation(record, ctx.escalations);
  if (esc !== null) w.schedule(K.timers, `esc:${fp}`, esc);
  else w.unschedule(K.timers, `esc:${fp}`);
}

export function putRecord(ctx: StageContext, w: Writes, r: AlertRecord): void {
  // Resolved (and not flapping) records stay only as long as the notification log, for de-duplication.
  const ttl = r.alert.status === 'resolved' && !r.flapping ? ctx.config.retention : 0;
  w.put(K.record(r.fingerprint), r, ttl);
}

/** A group's timing after a change: its head document only. */
export function putHead(w: Writes, g: GroupHead): void {
  w.put(K.group(g.key), g);
  if (g.due === null) w.unschedule(K.groupsDue, g.key);
  else w.schedule(K.groupsDue, g.key, g.due);
}

/** A flushed group: both its documents (see GroupHead), or neither when nothing is left in it. */
export function putGroup(w: Writes, g: GroupDoc | null, key: string): void {
  if (g === null) {
    w.del(K.group(key));
    w.del(K.firing(key));
    w.unschedule(K.groupsDue, key);
    return;
  }
  const { head, firing } = splitGroup(g);
  w.put(K.firing(key), firing);
  putHead(w, head);
}
