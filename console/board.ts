import type { AlertingPipeline, ActiveAlertView } from '../alerts/alerting';
import { matchesAll, parseMatchers, type Matcher } from '../alerts/matchers';
import { groupLabels } from '../alerts/route/route';
import { silenceJson, type SilenceJson } from '../api/views';
import type { Access } from '../api/access';
import type { AuditEntry } from '../alerts/pipeline/audit';

/** How many of an alert's audit entries its card shows (the newest). */
const HISTORY_MAX = 30;

/** Where the routing tree groups an alert: the first route that takes it, and the labels it groups by there. */
export interface BoardGroup {
  /** Route id and group labels, stable while the config is: the board's group heading. */
  key: string;
  route: string;
  receiver: string;
  labels: Record<string, string>;
}

/** What the console adds to an alert's API view: its group, every receiver it reaches, the silences touching it, teams, trail. */
export interface BoardDecor {
  group: BoardGroup;
  receivers: string[];
  /** Ids of the silences (pending or active) whose matchers hold for its labels. */
  silences: string[];
  /** The teams it belongs to (its routes' receivers' teams, and the team it was handed on to). */
  teams: string[];
  /** Its audit trail, oldest first: acks, comments, hand-ons, and silences created or expired with matchers holding for it. */
  history: Array<Omit<AuditEntry, 'at' | 'teams'> & { at: string }>;
}

/** A firing alert as the console shows it: the API's view and the console's decoration. */
export type BoardAlert = ActiveAlertView & BoardDecor;

export interface BoardState {
  alerts: BoardAlert[];
  silences: Array<SilenceJson & { teams?: string[] }>;
}

/** One read of the store for the board: the alerts' API views, and how to decorate each. */
export interface BoardRead {
  views: ActiveAlertView[];
  silences: BoardState['silences'];
  decorate(view: ActiveAlertView): BoardDecor;
  /**
   * Changes when anything a decoration depends on besides the alert's own view does (the
   * silences, the audit trail): an alert whose view is unchanged keeps its decoration while
   * this is the same.
   */
  context: string;
}

/**
 * The board as of now, read from the shared alert store: the firing alerts grouped as the
 * routing tree groups them (the first route that takes an alert names its group; others it
 * reaches are listed), and the silences that are not expired.
 */
export async function boardState(alerting: AlertingPipeline, access: Access): Promise<BoardState> {
  const r = await readBoard(alerting, access);
  return { alerts: r.views.map((v): BoardAlert => ({ ...v, ...r.decorate(v) })), silences: r.silences };
}

/** The store's firing alerts, silences and audit trail, and the decoration of an alert from them (see boardState). */
export async function readBoard(alerting: AlertingPipeline, access: Access): Promise<BoardRead> {
  const [views, silences, audit] = await Promise.all([alerting.activeAlerts(), alerting.silences(), alerting.desk.audit()]);
  const history = historyOf(audit);
  const live = silences.filter((s) => s.state !== 'expired');
  const parsed: Array<{ id: string; matchers: Matcher[] }> = live.map((s) => ({ id: s.id, matchers: parseMatchers(s.matchers) }));
  const shown = live.map((s) => ({ ...silenceJson(s), ...(s.teams ? { teams: s.teams } : {}) }));
  const decorate = (a: ActiveAlertView): BoardDecor => {
    const labels = (a.labels ?? {}) as Record<string, string>;
    const routes = alerting.router.match(labels);
    const first = routes[0] ?? alerting.router.root;
    const glabels = groupLabels(first, labels);
    return {
      group: { key: `${first.id}${JSON.stringify(glabels)}`, route: first.id, receiver: first.receiver, labels: glabels },
      receivers: routes.map((r) => r.receiver),
      silences: parsed.filter((s) => matchesAll(s.matchers, labels)).map((s) => s.id),
      teams: access.teamsOf(a),
      history: history(a.fingerprint, labels),
    };
  };
  // The audit trail only grows (old entries age out): its length and newest entry date it.
  const context = `${JSON.stringify(shown)}|${audit.length}|${JSON.stringify(audit.at(-1) ?? null)}`;
  return { views, silences: shown, decorate, context };
}

/** An alert's trail from the audit: entries naming it, and silence entries whose matchers hold for its labels. */
function historyOf(audit: readonly AuditEntry[]): (fp: string, labels: Record<string, string>) => BoardAlert['history'] {
  const byFp = new Map<string, AuditEntry[]>();
  const silences: Array<{ e: AuditEntry; m: Matcher[] }> = [];
  for (const e of audit) {
    if (e.fingerprint) byFp.set(e.fingerprint, [...(byFp.get(e.fingerprint) ?? []), e]);
    else if (e.matchers) silences.push({ e, m: parseMatchers(e.matchers) });
  }
  return (fp, labels) => {
    const mine = [...(byFp.get(fp) ?? []), ...silences.filter((s) => matchesAll(s.m, labels)).map((s) => s.e)];
    mine.sort((x, y) => x.at - y.at);
    return mine.slice(-HISTORY_MAX).map(({ at, teams: _teams, ...rest }) => ({ ...rest, at: new Date(at).toISOString() }));
  };
}

/** The firing alerts the matchers select now: what a silence with them would mute (the console's preview). */
export async function silencePreview(alerting: AlertingPipeline, matchers: readonly string[]): Promise<ActiveAlertView[]> {
  const parsed = parseMatchers(matchers);
  return (await alerting.activeAlerts()).filter((a) => matchesAll(parsed, (a.labels ?? {}) as Record<string, string>));
}
