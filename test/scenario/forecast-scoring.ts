/**
 * Scoring of early warnings against build-up ground truth (ingest/simulator/forecast-scenarios.ts):
 * lead time per breach, false warnings per key per day. Used by test/scenario/forecast*.test.ts.
 * Detectors run with the live alert lifecycle (alerts/lifecycle.ts: pending → firing → resolved).
 */
import type { FlowEvent } from '../../kernel/types';
import type { Detector } from '../../detectors/types';
import { initLifecycle, stepLifecycle, type LifecycleState } from '../../alerts/lifecycle';
import type { BuildupLabel } from '../../ingest/simulator/forecast-scenarios';

const MIN = 60_000;

/** One firing episode of a key's alert: firing notified at `start`, resolved at `end` (Infinity: still firing). */
export interface Episode {
  key: string;
  start: number;
  end: number;
}

/**
 * Runs one detector per key over a stream's events through the alert lifecycle, event-time timers
 * included (as worker/pipeline.ts: a key's due timers fire at their own times before its next
 * event, and at the end up to `end`); returns the episodes.
 */
export function episodesOf(
  events: readonly FlowEvent[],
  stream: string,
  make: (key: string) => Detector<any>,
  forMs = 0,
  end = Infinity,
): Episode[] {
  type Key = { d: Detector<any>; s: unknown; l: LifecycleState; open: Episode | null; due: number; key: string };
  const keys = new Map<string, Key>();
  const out: Episode[] = [];
  const step = (k: Key, obs: ReturnType<Detector['observe']>, ts: number) => {
    if (obs === null) return;
    const t = stepLifecycle(k.l, obs, ts, forMs);
    if (t === 'firing') out.push((k.open = { key: k.key, start: k.l.since, end: Infinity }));
    else if (t === 'resolved' && k.open) {
      k.open.end = ts;
      k.open = null;
    }
  };
  const catchUp = (k: Key, until: number) => {
    for (let n = 0; k.due <= until && n < 10_000; n++) {
      const t = k.due;
      step(k, k.d.advance!(k.s, t), t);
      const next = k.d.nextTimer!(k.s, t);
      k.due = next > t ? next : Infinity;
    }
  };
  for (const e of events) {
    if (e.stream !== stream) continue;
    let k = keys.get(e.key);
    if (!k) {
      const d = make(e.key);
      keys.set(e.key, (k = { d, s: d.init(e), l: initLifecycle(), open: null, due: Infinity, key: e.key }));
    }
    const timed = typeof k.d.advance === 'function' && typeof k.d.nextTimer === 'function';
    if (timed) catchUp(k, e.ts);
    step(k, k.d.observe(k.s, e), e.ts);
    if (timed) k.due = k.d.nextTimer!(k.s, e.ts);
  }
  if (Number.isFinite(end)) for (const k of keys.values()) if (k.d.nextTimer) catchUp(k, end);
  return out;
}

export interface LeadScore {
  breaches: number;
  /** Breaches that built up over ≥ minBuild (the population). */
  eligible: number;
  /** Of those: warned ≥ 10 min before the breach. */
  warned10: number;
  /** Of those: any warning before the breach (lead > 0). */
  warnedBefore: number;
  /** Median lead over the eligible breaches (missed ones count as −Infinity, i.e. they pull it down), minutes. */
  medianLeadMin: number | null;
  /** Leads (minutes) of the eligible breaches; null = no alert at all within the incident. */
  leads: (number | null)[];
  decoys: number;
  /** Decoys that drew a warning. */
  decoysWarned: number;
  /** Warnings not followed by a breach of their incident: total, on decoys, elsewhere. */
  falses: number;
  falseOnDecoys: number;
  falseElsewhere: number;
  keyDays: number;
  falsePerKeyDay: number;
}

/**
 * Lead of a breach: breach time − start of the warning in force at the breach (counted from the
 * build-up's start at the earliest: a warning already running for another reason earns no lead);
 * when none is in force, the first alert within the incident after the breach gives a negative
 * lead; none at all: missed (null). An episode is false when it overlaps no breach incident
 * [start, end] of its key.
 */
export function scoreLeads(
  labels: readonly BuildupLabel[],
  episodes: readonly Episode[],
  keyCount: number,
  days: number,
  minBuild = 15 * MIN,
): LeadScore {
  const byKey = new Map<string, Episode[]>();
  for (const ep of episodes) {
    let l = byKey.get(ep.key);
    if (!l) byKey.set(ep.key, (l = []));
    l.push(ep);
  }
  const leads: (number | null)[] = [];
  let breaches = 0;
  let decoys = 0;
  let decoysWarned = 0;
  for (const lab of labels) {
    const eps = byKey.get(lab.key) ?? [];
    if (lab.breach === null) {
      decoys++;
      if (eps.some((e) => e.start < lab.end && e.end > lab.start)) decoysWarned++;
      continue;
    }
    breaches++;
    if (lab.breach - lab.start < minBuild) continue;
    const active = eps.find((e) => e.start <= lab.breach! && e.end > lab.breach!);
    if (active) leads.push((lab.breach - Math.max(active.start, lab.start)) / MIN);
    else {
      const late = eps.find((e) => e.start > lab.breach! && e.start < lab.end);
      leads.push(late ? (lab.breach - late.start) / MIN : null);
    }
  }
  let falses = 0;
  let falseOnDecoys = 0;
  for (const ep of episodes) {
    const mine = labels.filter((l) => l.key === ep.key && ep.start < l.end && ep.end > l.start);
    if (mine.some((l) => l.breach !== null)) continue;
    falses++;
    if (mine.length > 0) falseOnDecoys++;
  }
  const eligible = leads.length;
  const sorted = leads.map((l) => (l === null ? -Infinity : l)).sort((a, b) => a - b);
  const median =
    eligible === 0 ? null : eligible % 2 === 1 ? sorted[(eligible - 1) / 2] : (sorted[eligible / 2 - 1] + sorted[eligible / 2]) / 2;
  return {
    breaches,
    eligible,
    warned10: leads.filter((l) => l !== null && l >= 10).length,
    warnedBefore: leads.filter((l) => l !== null && l > 0).length,
    medianLeadMin: median,
    leads,
    decoys,
    decoysWarned,
    falses,
    falseOnDecoys,
    falseElsewhere: falses - falseOnDecoys,
    keyDays: keyCount * days,
    falsePerKeyDay: falses / (keyCount * days),
  };
}

/** One line of figures. */
export function describeScore(name: string, s: LeadScore): string {
  const pct = (a: number, b: number) => (b === 0 ? '—' : `${((100 * a) / b).toFixed(0)}%`);
  const med = s.medianLeadMin === null ? '—' : Number.isFinite(s.medianLeadMin) ? `${s.medianLeadMin.toFixed(1)} min` : 'missed';
  return `${name}: breaches ${s.breaches} (≥15 min build-up: ${s.eligible}), warned ≥10 min before ${s.warned10} (${pct(s.warned10, s.eligible)}), before at all ${s.warnedBefore}, median lead ${med}; decoys ${s.decoys}, warned ${s.decoysWarned}; false warnings ${s.falses} (${s.falseOnDecoys} on decoys, ${s.falseElsewhere} elsewhere) = ${s.falsePerKeyDay.toFixed(3)}/key/day`;
}
