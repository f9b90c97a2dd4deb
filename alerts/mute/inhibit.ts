import type { InhibitRuleConfig } from '../config';
import { matchesAll, parseMatchers, type Matcher } from '../matchers';
import type { Muter } from './muter';

interface Rule {
  source: Matcher[];
  target: Matcher[];
  equal: string[];
}

/**
 * Inhibition: a firing alert that matches a rule's source matchers mutes alerts matching its
 * target matchers when the `equal` labels have the same values in both (e.g. a critical alert
 * for a station mutes the warnings for its gates). An alert never inhibits itself.
 */
export class Inhibitor implements Muter {
  private readonly rules: Rule[];
  constructor(
    rules: readonly InhibitRuleConfig[],
    private readonly firing: ReadonlyArray<{ fingerprint: string; labels: Readonly<Record<string, string>> }>,
  ) {
    this.rules = rules.map((r) => ({ source: parseMatchers(r.source_matchers), target: parseMatchers(r.target_matchers), equal: r.equal }));
  }

  mutedBy(labels: Readonly<Record<string, string>>, fingerprint: string): string | null {
    for (const rule of this.rules) {
      if (!matchesAll(rule.target, labels)) continue;
      for (const src of this.firing) {
        if (src.fingerprint === fingerprint || !matchesAll(rule.source, src.labels)) continue;
        if (rule.equal.every((name) => (src.labels[name] ?? '') === (labels[name] ?? ''))) return `inhibited:${src.fingerprint}`;
      }
    }
    return null;
  }
}
