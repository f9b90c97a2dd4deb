/**
 * What an `alertmanager` receiver refreshes every resend interval: the alerts firing now (from
 * the alert store, so another worker's or a previous run's count too) and routed to it — muted
 * ones included. Alertmanager should see every firing alert, as Prometheus sends every one; it
 * silences on its own. Leaving a muted alert out would let Alertmanager time it out and tell its
 * receivers "resolved" while it still fires.
 */
import type { ActiveAlertView, AlertingPipeline } from '../alerting';
import type { NotifiedAlert } from '../notification';
import type { Evidence, Severity } from '../../kernel/types';

/** An alert back from the API's view of it (alertJson: ISO times, rounded score). */
export function alertFromView(v: ActiveAlertView): NotifiedAlert & { mutedBy: string | null } {
  const ack = v.ack as { by: string; at: string; comment?: string } | undefined;
  return {
    id: v.id,
    fingerprint: v.fingerprint,
    status: v.status as NotifiedAlert['status'],
    stream: v.stream as string,
    key: v.key as string,
    detector: v.detector as string,
    severity: v.severity as Severity,
    labels: v.labels as Record<string, string>,
    startsAt: Date.parse(v.startsAt as string),
    ...(typeof v.endsAt === 'string' ? { endsAt: Date.parse(v.endsAt) } : {}),
    score: v.score as number,
    summary: v.summary as string,
    evidence: v.evidence as Evidence,
    ...(v.flapping ? { flapping: true } : {}),
    ...(ack ? { ack: { alertId: v.id, by: ack.by, at: Date.parse(ack.at), ...(ack.comment ? { comment: ack.comment } : {}) } } : {}),
    mutedBy: v.mutedBy,
  };
}

/** The firing alerts the pipeline routes to `receiver` (muted or not). */
export async function firingFor(p: Pick<AlertingPipeline, 'activeAlerts' | 'router'>, receiver: string): Promise<NotifiedAlert[]> {
  const out: NotifiedAlert[] = [];
  for (const v of await p.activeAlerts()) {
    const { mutedBy, ...a } = alertFromView(v);
    if (p.router.match(a.labels).some((r) => r.receiver === receiver)) out.push(a);
  }
  return out;
}
