import type { AlertingPipeline, ActiveAlertView } from '../alerts/alerting';
import { matchesAll, parseMatchers, type Matcher } from '../alerts/matchers';
import { groupLabels } from '../alerts/route/route';
import { silenceJson, type SilenceJson } from '../api/views';

/** Where the routing tree groups an alert: the first route that takes it, and the labels it groups by there. */
export interface BoardGroup {
  /** Route id and group labels, stable while the config is: the board's group heading. */
  key: string;
  route: string;
  receiver: string;
  labels: Record<string, string>;
}

/** A firing alert as the console shows it: the API's view, its group, every receiver it reaches, the silences touching it. */
export type BoardAlert = ActiveAlertView & {
  group: BoardGroup;
  receivers: string[];
  /** Ids of the silences (pending or active) whose matchers hold for its labels. */
  silences: string[];
};

export interface BoardState {
  alerts: BoardAlert[];
  silences: SilenceJson[];
}

/**
 * The board as of now, read from the shared alert store: the firing alerts grouped as the
 * routing tree groups them (the first route that takes an alert names its group; others it
 * reaches are listed), and the silences that are not expired.
 */
export async function boardState(alerting: AlertingPipeline): Promise<BoardState> {
  const [alerts, silences] = await Promise.all([alerting.activeAlerts(), alerting.silences()]);
  const live = silences.filter((s) => s.state !== 'expired');
  const parsed: Array<{ id: string; matchers: Matcher[] }> = live.map((s) => ({ id: s.id, matchers: parseMatchers(s.matchers) }));
  const board = alerts.map((a): BoardAlert => {
    const labels = (a.labels ?? {}) as Record<string, string>;
    const routes = alerting.router.match(labels);
    const first = routes[0] ?? alerting.router.root;
    const glabels = groupLabels(first, labels);
    return {
      ...a,
      group: { key: `${first.id}${JSON.stringify(glabels)}`, route: first.id, receiver: first.receiver, labels: glabels },
      receivers: routes.map((r) => r.receiver),
      silences: parsed.filter((s) => matchesAll(s.matchers, labels)).map((s) => s.id),
    };
  });
  return { alerts: board, silences: live.map(silenceJson) };
}

/** The firing alerts the matchers select now: what a silence with them would mute (the console's preview). */
export async function silencePreview(alerting: AlertingPipeline, matchers: readonly string[]): Promise<ActiveAlertView[]> {
  const parsed = parseMatchers(matchers);
  return (await alerting.activeAlerts()).filter((a) => matchesAll(parsed, (a.labels ?? {}) as Record<string, string>));
}
