import type { AlertRecord } from '../record';
import { K } from '../store/types';
import { AUDIT_KEY, appended, entryBy, type Actor, type AuditDoc, type AuditEntry } from './audit';
import { inputError } from './commands';
import type { StageContext } from './context';
import { firingRecord } from './current';
import { putRecord } from './documents';

/**
 * The duty desk's actions beyond acks and silences (docs/console.md): a comment on an alert, an
 * alert handed on to another team with a note, and the audit trail they and the other actions
 * leave. Each action and its audit entry are one store transaction.
 */
export class Desk {
  constructor(private readonly ctx: StageContext) {}

  /** A comment on a firing alert (by id or fingerprint): only in its audit trail. */
  async comment(idOrFingerprint: string, text: string, actor: Actor): Promise<AuditEntry> {
    return this.onRecord(idOrFingerprint, (r, now) => ({
      entry: { ...entryBy(actor, 'comment', now), fingerprint: r.fingerprint, alertId: r.alert.id, text },
    }));
  }

  /** Hands a firing alert to `team` with a note: its owner changes (both teams see it), the note goes in its trail. */
  async handOn(idOrFingerprint: string, team: string, note: string, actor: Actor): Promise<AuditEntry> {
    return this.onRecord(idOrFingerprint, (r, now) => {
      const owner = { team, by: actor.by, user: actor.user, at: now, ...(note ? { note } : {}) };
      const from = r.owner?.team;
      const entry: AuditEntry = {
        ...entryBy(actor, 'hand-on', now),
        teams: [...new Set([...actor.teams, team])],
        fingerprint: r.fingerprint,
        alertId: r.alert.id,
        to: team,
        ...(from ? { from } : {}),
        ...(note ? { text: note } : {}),
      };
      return { entry, record: { ...r, owner } };
    });
  }

  /** The audit trail, oldest first. */
  async audit(): Promise<AuditEntry[]> {
    const [doc] = (await this.ctx.store.mget([AUDIT_KEY])) as [AuditDoc | undefined];
    return doc?.entries ?? [];
  }

  private async onRecord(
    idOrFingerprint: string,
    act: (r: AlertRecord, now: number) => { entry: AuditEntry; record?: AlertRecord },
  ): Promise<AuditEntry> {
    const target = await firingRecord(this.ctx, idOrFingerprint, (m) => inputError(404, m));
    return this.ctx.store.transact([K.record(target.fingerprint), AUDIT_KEY], (docs, w) => {
      const r = docs[0] as AlertRecord | undefined;
      if (!r || r.alert.status !== 'firing' || r.alert.id !== target.alert.id)
        throw inputError(409, `alert ${idOrFingerprint} changed state meanwhile; list alerts again`);
      const { entry, record } = act(r, this.ctx.clock.now());
      if (record) putRecord(this.ctx, w, record);
      w.put(AUDIT_KEY, appended(docs[1] as AuditDoc | undefined, entry, this.ctx.config.retention));
      return entry;
    });
  }
}
