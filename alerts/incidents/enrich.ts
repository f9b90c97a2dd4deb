import type { Alert } from '../../kernel/types';
import type { AlertRecord } from '../record';
import { K, type AlertStore } from '../store/types';

/** Reference labels an alert may get (ingest/reference), and the placeholders a summary may carry for them. */
const LABELS = ['place', 'place_name', 'district', 'party', 'where'] as const;

/** Where reference labels come from (ingest/reference/reference.ts's ReferenceData). */
export interface ReferenceLabels {
  labels(key: string): Record<string, string>;
}

function withLabels(alert: Alert, ref: Record<string, string>): Alert {
  const add = Object.fromEntries(Object.entries(ref).filter(([k]) => alert.labels[k] === undefined));
  if (Object.keys(add).length === 0 && !/\{(place|place_name|district|party|where)\}/.test(alert.summary)) return alert;
  const labels = { ...add, ...alert.labels };
  // A summary template may name them: "crowd surge at {where}" (renderTemplate leaves unknown placeholders for this).
  const summary = alert.summary.replace(/\{(place|place_name|district|party|where)\}/g, (whole, k: string) => labels[k] ?? whole);
  return { ...alert, labels, summary };
}

/**
 * Gives a batch's alerts their reference labels (place, district, party, where), per alert, at
 * intake. A resolve takes the labels its firing had (from the alert record), so a mapping changed
 * in between cannot send the resolve somewhere else than the firing went; firings take the tables
 * in use now, so a changed mapping moves the next alerts. Labels the detector set are kept.
 */
export async function enrichAlerts(alerts: readonly Alert[], ref: ReferenceLabels, store: AlertStore): Promise<Alert[]> {
  const resolves = alerts.filter((a) => a.status === 'resolved');
  const before = new Map<string, Record<string, string>>();
  if (resolves.length > 0) {
    const records = (await store.mget(resolves.map((a) => K.record(a.fingerprint)))) as Array<AlertRecord | undefined>;
    for (const r of records) {
      if (!r) continue;
      const kept = Object.fromEntries(LABELS.filter((k) => r.alert.labels[k] !== undefined).map((k) => [k, r.alert.labels[k]]));
      before.set(r.fingerprint, kept);
    }
  }
  return alerts.map((a) => withLabels(a, (a.status === 'resolved' ? before.get(a.fingerprint) : undefined) ?? ref.labels(a.key)));
}
