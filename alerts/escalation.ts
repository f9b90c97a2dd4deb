import type { EscalationConfig } from './config';
import { matchesAll, parseMatchers, type Matcher } from './matchers';
import type { AlertRecord } from './record';

export interface EscalationRule {
  index: number;
  matchers: Matcher[];
  after: number;
  receiver: string;
}

export function escalationRules(configs: readonly EscalationConfig[]): EscalationRule[] {
  return configs.map((c, index) => ({ index, matchers: parseMatchers(c.matchers), after: c.after, receiver: c.receiver }));
}

/** When the record's next escalation is due (null: none left, or it is acked or not firing). */
export function nextEscalation(r: AlertRecord, rules: readonly EscalationRule[]): number | null {
  if (r.alert.status !== 'firing' || r.ack || r.firingSince === undefined) return null;
  let next: number | null = null;
  for (const rule of rules) {
    if (r.escalated?.rules.includes(rule.index) || !matchesAll(rule.matchers, r.alert.labels)) continue;
    const at = r.firingSince + rule.after;
    if (next === null || at < next) next = at;
  }
  return next;
}

/**
 * An unacknowledged firing alert past a rule's `after` goes to that rule's receiver, once per
 * episode. Returns the receivers to notify now and the updated record.
 */
export function escalate(
  r: AlertRecord,
  rules: readonly EscalationRule[],
  now: number,
): { record: AlertRecord; receivers: Array<{ rule: number; receiver: string }> } {
  if (r.alert.status !== 'firing' || r.ack || r.firingSince === undefined) return { record: r, receivers: [] };
  const due = rules.filter(
    (rule) => !r.escalated?.rules.includes(rule.index) && matchesAll(rule.matchers, r.alert.labels) && r.firingSince! + rule.after <= now,
  );
  if (due.length === 0) return { record: r, receivers: [] };
  const escalated = { rules: [...(r.escalated?.rules ?? [])], receivers: [...(r.escalated?.receivers ?? [])] };
  for (const rule of due) {
    escalated.rules.push(rule.index);
    if (!escalated.receivers.includes(rule.receiver)) escalated.receivers.push(rule.receiver);
  }
  return { record: { ...r, escalated }, receivers: due.map((rule) => ({ rule: rule.index, receiver: rule.receiver })) };
}
