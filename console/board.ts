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
   * Changes when anything every decoration depends on does (the silences, the audit trail of
   * silences); with the same view and the same trail(fingerprint), an alert keeps its decoration.
   */
  context: string;
  /** Dates an alert's own audit trail (acks, comments, hand-ons). */
  trail(fingerprint: string): string;
}

/** The audit trail, indexed: an alert's history, and keys that change when it does. */
interface Trails {
  history(fp: string, labels: Record<string, string>): BoardAlert['history'];
  key(fp: string): string;
  silencesKey: string;
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
  const trails = historyOf(audit);
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
      history: trails.history(a.fingerprint, labels),
    };
  };
  return { views, silences: shown, decorate, context: `${JSON.stringify(shown)}|${trails.silencesKey}`, trail: trails.key };
}

/** An alert's trail from the audit: entries naming it, and silence entries whose matchers hold for its labels. */
function historyOf(audit: readonly AuditEntry[]): Trails {
  const byFp = new Map<string, AuditEntry[]>();
  const silences: Array<{ e: AuditEntry; m: Matcher[] }> = [];
  for (const e of audit) {
    if (e.fingerprint) {
      const list = byFp.get(e.fingerprint);
      if (list) list.push(e);
      else byFp.set(e.fingerprint, [e]);
    } else if (e.matchers) silences.push({ e, m: parseMatchers(e.matchers) });
  }
  const last = silences.at(-1)?.e;
  return {
    history: (fp, labels) => {
      const mine = [...(byFp.get(fp) ?? []), ...silences.filter((s) => matchesAll(s.m, labels)).map((s) => s.e)];
      mine.sort((x, y) => x.at - y.at);
      return mine.slice(-HISTORY_MAX).map(({ at, teams: _teams, ...rest }) => ({ ...rest, at: new Date(at).toISOString() }));
    },
    // A trail only grows at its end (old entries age out at its start): its length and newest entry date it.
    key: (fp) => {
      const mine = byFp.get(fp);
      return mine ? `${mine.length}|${JSON.stringify(mine.at(-1))}` : '';
    },
    silencesKey: `${silences.length}|${JSON.stringify(last ?? null)}`,
  };
}

/** The firing alerts the matchers select now: what a silence with them would mute (the console's preview). */
export async function silencePreview(alerting: AlertingPipeline, matchers: readonly string[]): Promise<ActiveAlertView[]> {
  const parsed = parseMatchers(matchers);
  return (await alerting.activeAlerts()).filter((a) => matchesAll(parsed, (a.labels ?? {}) as Record<string, string>));
}
