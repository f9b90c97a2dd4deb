import { createHash } from 'node:crypto';
import type { Alert } from '../kernel/types';

/** Stable id: a retried delivery of the same state change carries the same id. */
export function alertId(fingerprint: string, status: string, startsAt: number): string {
  return createHash('sha256').update(`${fingerprint}|${status}|${startsAt}`).digest('hex').slice(0, 20);
}

/** Label and summary prefix of a firing alert notified again because the state store lost it (worker/store-recovery.ts). */
export const RESENT_LABEL = 'resent';
export const RESENT_STORE_LOSS = 'state-store-lost';
const RESENT_PREFIX = '[re-sent after state store loss] ';

/** The same firing change, marked: a label for machines, a summary prefix for people. */
export function markResent(a: Alert): Alert {
  return { ...a, labels: { ...a.labels, [RESENT_LABEL]: RESENT_STORE_LOSS }, summary: RESENT_PREFIX + a.summary };
}
