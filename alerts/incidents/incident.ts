/**
 * Incidents as pure functions over JSON documents (the store applies them atomically).
 *
 * One correlation document per (rule, joined value) — e.g. rule "venue-crowd", district
 * "haidian" — holds the recent firing alerts that may still join (candidates) and the open
 * incident, if any. Every worker that accepts an alert with that value reads and writes the same
 * document in the intake transaction, so two workers never open two incidents for one correlation.
 */
import type { Alert, Severity } from '../../kernel/types';
import { matchesAll, parseMatchers, type Matcher } from '../matchers';
import { stableId } from '../notification';
import type { CorrelationRule } from './config';

export type IncidentStatus = 'open' | 'acknowledged' | 'resolved' | 'closed';

export interface Member {
  fingerprint: string;
  stream: string;
  /** The member's latest state change (its evidence, summary, labels). */
  alert: Alert;
  /** Wall time it joined. */
  joinedAt: number;
}

export interface DepartmentState {
  name: string;
  receiver: string;
  ack?: { by: string; at: number; comment?: string };
}

export interface TimelineEntry {
  /** Wall time. */
  at: number;
  kind: 'opened' | 'joined' | 'left' | 'acknowledged' | 'resolved' | 'closed';
  fingerprint?: string;
  department?: string;
  by?: string;
  note?: string;
}

export interface Incident {
  id: string;
  rule: string;
  title: string;
  /** The label and value its members share. */
  anchor: { label: string; value: string };
  severity: Severity;
  status: IncidentStatus;
  /** Wall time it opened; event time of its first member's start, and of the change that opened it. */
  openedAt: number;
  firstAlertAt: number;
  openedEventAt: number;
  updatedAt: number;
  endedAt?: number;
  /** Bumped once per transaction that changes it: one notification per department per version. */
  version: number;
  members: Member[];
  departments: DepartmentState[];
  timeline: TimelineEntry[];
}

/** The correlation document of one (rule, value). */
export interface CorrelationDoc {
  rule: string;
  value: string;
  /** Firing alerts within the rule's window that have not made an incident yet. */
  candidates: Member[];
  incident?: Incident;
}

/** A rule ready to use: its matchers parsed, its departments' receivers looked up. */
export interface CompiledRule {
  rule: CorrelationRule;
  matchers: Matcher[];
  departments: Array<{ name: string; receiver: string }>;
}

export function compileRule(rule: CorrelationRule, departments: Record<string, { receiver: string }>): CompiledRule {
  return {
    rule,
    matchers: parseMatchers(rule.matchers),
    departments: rule.departments.map((d) => ({ name: d, receiver: departments[d]?.receiver ?? d })),
  };
}

/** The value an alert joins on under a rule, or undefined when it does not take part. */
export function joinValue(r: CompiledRule, alert: Alert): string | undefined {
  const v = alert.labels[r.rule.join_on];
  if (v === undefined || v === '') return undefined;
  if (r.rule.streams && !r.rule.streams.includes(alert.stream)) return undefined;
  return matchesAll(r.matchers, alert.labels) ? v : undefined;
}

const TIMELINE_MAX = 200;
const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

function note(inc: Incident, e: TimelineEntry): void {
  inc.timeline.push(e);
  if (inc.timeline.length > TIMELINE_MAX) inc.timeline.splice(0, inc.timeline.length - TIMELINE_MAX);
}

function severityOf(r: CorrelationRule, members: readonly Member[]): Severity {
  if (r.severity !== 'max') return r.severity;
  return members.reduce<Severity>((s, m) => (SEVERITY_RANK[m.alert.severity] > SEVERITY_RANK[s] ? m.alert.severity : s), 'info');
}

export function renderTitle(r: CorrelationRule, value: string, first: Alert): string {
  return r.title.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (whole, k: string) =>
    k === 'value' ? value : k === 'rule' ? r.name : (first.labels[k] ?? whole),
  );
}

/** Candidates still inside the window ending at `eventNow` (event time), firing. */
function prune(candidates: readonly Member[], window: number, eventNow: number): Member[] {
  return candidates.filter((m) => m.alert.status === 'firing' && m.alert.startsAt >= eventNow - window);
}

function ready(r: CorrelationRule, candidates: readonly Member[]): boolean {
  return candidates.length >= r.min_alerts && new Set(candidates.map((m) => m.stream)).size >= r.min_streams;
}

function open(r: CompiledRule, doc: CorrelationDoc, trigger: Alert, now: number): Incident {
  const members = [...doc.candidates].sort((a, b) => a.alert.startsAt - b.alert.startsAt);
  const first = members[0].alert;
  const inc: Incident = {
    id: `inc-${stableId(r.rule.name, doc.value, first.id).slice(0, 16)}`,
    rule: r.rule.name,
    title: renderTitle(r.rule, doc.value, first),
    anchor: { label: r.rule.join_on, value: doc.value },
    severity: severityOf(r.rule, members),
    status: 'open',
    openedAt: now,
    firstAlertAt: first.startsAt,
    openedEventAt: Math.max(trigger.startsAt, ...members.map((m) => m.alert.startsAt)),
    updatedAt: now,
    version: 0,
    members,
    departments: r.departments.map((d) => ({ ...d })),
    timeline: [],
  };
  note(inc, { at: now, kind: 'opened', note: `${members.length} alerts from ${[...new Set(members.map((m) => m.stream))].join(', ')}` });
  for (const m of members) note(inc, { at: now, kind: 'joined', fingerprint: m.fingerprint });
  return inc;
}

/** What one alert change did to a correlation document. */
export interface Applied {
  doc: CorrelationDoc;
  /** The incident changed (a new version to notify). */
  changed: boolean;
  /** It opened with this change. */
  opened: boolean;
}

/**
 * One accepted alert change against its correlation document (pure; the document is copied).
 * A firing alert joins the open incident or becomes a candidate, and opens an incident when the
 * candidates inside the window satisfy the rule; a resolve marks a member resolved (the incident
 * resolves when all have) or drops a candidate.
 */
export function applyChange(r: CompiledRule, prev: CorrelationDoc | undefined, alert: Alert, value: string, now: number): Applied {
  const doc: CorrelationDoc = prev
    ? { ...prev, candidates: [...prev.candidates], incident: prev.incident && cloneIncident(prev.incident) }
    : { rule: r.rule.name, value, candidates: [] };
  const inc = doc.incident;
  const member: Member = { fingerprint: alert.fingerprint, stream: alert.stream, alert, joinedAt: now };
  if (inc && (inc.status === 'open' || inc.status === 'acknowledged')) {
    const i = inc.members.findIndex((m) => m.fingerprint === alert.fingerprint);
    if (alert.status === 'firing') {
      if (i >= 0 && inc.members[i].alert.status === 'firing' && inc.members[i].alert.id === alert.id)
        return { doc, changed: false, opened: false };
      if (i >= 0) inc.members[i] = { ...inc.members[i], alert };
      else inc.members.push(member);
      note(inc, { at: now, kind: 'joined', fingerprint: alert.fingerprint });
      inc.severity = severityOf(r.rule, inc.members);
    } else {
      if (i < 0) return { doc, changed: false, opened: false };
      inc.members[i] = { ...inc.members[i], alert };
      note(inc, { at: now, kind: 'left', fingerprint: alert.fingerprint, note: 'resolved' });
      if (inc.members.every((m) => m.alert.status === 'resolved')) {
        inc.status = 'resolved';
        inc.endedAt = now;
        note(inc, { at: now, kind: 'resolved', note: 'every member alert has resolved' });
      }
    }
    inc.updatedAt = now;
    return { doc, changed: true, opened: false };
  }
  // No open incident: the alert is (or stops being) a candidate.
  doc.incident = undefined;
  const others = doc.candidates.filter((m) => m.fingerprint !== alert.fingerprint);
  doc.candidates = prune(alert.status === 'firing' ? [...others, member] : others, r.rule.window, alert.startsAt);
  if (alert.status !== 'firing' || !ready(r.rule, doc.candidates)) return { doc, changed: false, opened: false };
  doc.incident = open(r, doc, alert, now);
  doc.candidates = [];
  return { doc, changed: true, opened: true };
}

export function cloneIncident(i: Incident): Incident {
  return { ...i, members: [...i.members], departments: i.departments.map((d) => ({ ...d })), timeline: [...i.timeline] };
}

/** A department acknowledges; when every department has, the incident is `acknowledged`. */
export function acknowledge(prev: Incident, department: string, by: string, now: number, comment?: string): Incident {
  const inc = cloneIncident(prev);
  const d = inc.departments.find((x) => x.name === department);
  if (!d) throw new Error(`department "${department}" is not involved; departments: ${inc.departments.map((x) => x.name).join(', ')}`);
  d.ack = { by, at: now, ...(comment ? { comment } : {}) };
  note(inc, { at: now, kind: 'acknowledged', department, by, ...(comment ? { note: comment } : {}) });
  if (inc.status === 'open' && inc.departments.every((x) => x.ack)) inc.status = 'acknowledged';
  inc.updatedAt = now;
  return inc;
}

/** Closed by hand, with a note: it ends whatever its members do. */
export function close(prev: Incident, by: string, note_: string, now: number): Incident {
  const inc = cloneIncident(prev);
  inc.status = 'closed';
  inc.endedAt = now;
  inc.updatedAt = now;
  note(inc, { at: now, kind: 'closed', by, note: note_ });
  return inc;
}

export function isEnded(i: Incident): boolean {
  return i.status === 'resolved' || i.status === 'closed';
}
