/**
 * A subset of Prometheus Alertmanager's API v2 over flowwatch's alert store (issue 21), so
 * `amtool --alertmanager.url=http://<flowwatch api>` and other Alertmanager clients can read
 * flowwatch's alerts and manage its silences. Served by api/server.ts under /api/v2/, behind the
 * same bearer token as the rest of /api/.
 *
 *   GET    /api/v2/status               cluster "disabled", versionInfo of flowwatch
 *   GET    /api/v2/receivers            receivers the routing tree names
 *   GET    /api/v2/alerts               firing alerts (filter, receiver, active, silenced, inhibited)
 *   GET    /api/v2/alerts/groups        the same, by route and group labels
 *   GET    /api/v2/silences             silences (filter)
 *   POST   /api/v2/silences             create (or, with an id, replace) a silence → {silenceID}
 *   GET    /api/v2/silence/{id}         one silence
 *   DELETE /api/v2/silence/{id}         expire a silence
 *
 * Shapes follow Alertmanager v0.35's OpenAPI models (GettableAlert, AlertGroup, GettableSilence,
 * PostableSilence, AlertmanagerStatus). What flowwatch has no notion of is filled the way
 * Alertmanager fills it when it has nothing to say: no cluster, no unprocessed alerts, endsAt of a
 * firing alert = Go's zero time (flowwatch's firing alerts have no end yet).
 */
import type { IncomingMessage } from 'node:http';
import { RE2JS } from 're2js';
import type { ActiveAlertView, AlertingPipeline } from '../alerts/alerting';
import { amAnnotations, amLabels, GO_ZERO_TIME, labelSetFingerprint, rfc3339, generatorUrl } from '../alerts/format/alertmanager';
import { matchesAll, parseMatcher, type Matcher } from '../alerts/matchers';
import { alertFromView } from '../alerts/receivers/alertmanager-source';
import { groupLabels } from '../alerts/route/route';
import type { Silence } from '../alerts/mute/silence';
import { formatDuration } from '../kernel/duration';
import { FlowwatchError } from '../kernel/errors';

const STARTED_AT = Date.now();
const VERSION: string = (() => {
  try {
    return (require('../../package.json') as { version: string }).version; // dist/api/
  } catch {
    return (require('../package.json') as { version: string }).version;
  }
})();

export interface AmApiDeps {
  alerting: AlertingPipeline;
  readJson(req: IncomingMessage): Promise<unknown>;
  /** alerting.api.max_silence. */
  maxSilenceMs: number;
  /** Base of generatorURL links; default: http:// and the request's Host. */
  externalUrl?: string;
}

type Reply = { status?: number; body: unknown };

function fail(status: number, message: string): never {
  throw new FlowwatchError('FW_INPUT', message, { details: { status } });
}

function allow(method: string, methods: string[]): void {
  if (!methods.includes(method)) fail(405, `method ${method} not allowed here; use ${methods.join(' or ')}`);
}

/** Answers a /api/v2/ request (the caller has checked the bearer token). */
export async function alertmanagerV2(method: string, path: string, url: URL, req: IncomingMessage, d: AmApiDeps): Promise<Reply> {
  const sub = path.slice('/api/v2'.length);
  if (sub === '/status') {
    allow(method, ['GET']);
    return { body: status() };
  }
  if (sub === '/receivers') {
    allow(method, ['GET']);
    return { body: [...new Set(d.alerting.router.all().map((r) => r.receiver))].map((name) => ({ name })) };
  }
  if (sub === '/alerts') {
    allow(method, ['GET']);
    return { body: await gettableAlerts(d, url, base(d, req)) };
  }
  if (sub === '/alerts/groups') {
    allow(method, ['GET']);
    return { body: await alertGroups(d, url, base(d, req)) };
  }
  if (sub === '/silences') {
    allow(method, ['GET', 'POST']);
    if (method === 'GET') {
      const filter = filters(url);
      const now = d.alerting.now();
      return {
        body: sortSilences((await d.alerting.silences()).filter((s) => silenceHas(s.matchers, filter)).map((s) => gettableSilence(s, now))),
      };
    }
    return { body: await postSilence(d, await d.readJson(req)) };
  }
  const m = /^\/silence\/([^/]+)$/.exec(sub);
  if (m) {
    allow(method, ['GET', 'DELETE']);
    const id = decodeURIComponent(m[1]);
    if (method === 'GET') {
      const s = (await d.alerting.silences()).find((x) => x.id === id);
      if (!s) fail(404, `no silence with id ${JSON.stringify(id)}`);
      return { body: gettableSilence(s, d.alerting.now()) };
    }
    await d.alerting.expireSilence(id);
    return { body: '' };
  }
  fail(
    404,
    `no such endpoint: ${method} ${path} (flowwatch serves a subset of the Alertmanager API v2: status, receivers, alerts, alerts/groups, silences, silence/{id})`,
  );
}

function base(d: AmApiDeps, req: IncomingMessage): string {
  return d.externalUrl ?? (req.headers.host ? `http://${req.headers.host}` : '');
}

/** The Alertmanager release whose API v2 models this subset follows. */
export const AM_API_VERSION = '0.35.0';

/**
 * versionInfo.version is the Alertmanager API version followed (clients such as amtool compare it
 * with their own and warn, karma picks features by it); branch and revision say it is flowwatch.
 */
function status() {
  const v = {
    version: AM_API_VERSION,
    revision: `flowwatch-${VERSION}`,
    branch: 'flowwatch',
    buildUser: 'flowwatch',
    buildDate: '',
    goVersion: '',
  };
  return {
    cluster: { name: 'flowwatch', status: 'disabled', peers: [] },
    versionInfo: v,
    config: { original: '# flowwatch: routes, receivers and inhibit rules live in the flowwatch config (docs/alerting.md)\n' },
    uptime: new Date(STARTED_AT).toISOString(),
  };
}

// ---- filters ----

/** `filter` parameters: matchers like `alertname="x"` (a surrounding {} is allowed, as Alertmanager does). */
function filters(url: URL): Matcher[] {
  return url.searchParams.getAll('filter').map((f) => {
    const text = f.trim().replace(/^\{(.*)\}$/, '$1');
    try {
      return parseMatcher(text);
    } catch (err) {
      return fail(400, `bad filter ${JSON.stringify(f)}: ${(err as Error).message}`);
    }
  });
}

function flag(url: URL, name: string): boolean {
  const v = url.searchParams.get(name);
  if (v === null || v === '') return true;
  if (v !== 'true' && v !== 'false') fail(400, `${name}: expected true or false, got ${JSON.stringify(v)}`);
  return v === 'true';
}

function receiverFilter(url: URL): ((names: string[]) => boolean) | null {
  const r = url.searchParams.get('receiver');
  if (r === null || r === '') return null;
  let re: RE2JS;
  try {
    re = RE2JS.compile(r);
  } catch (err) {
    return fail(400, `failed to parse receiver param: ${(err as Error).message}`);
  }
  return (names) => names.some((n) => re.matches(n));
}

// ---- alerts ----

interface AlertRow {
  view: ActiveAlertView;
  labels: Record<string, string>;
  body: Record<string, unknown>;
  receivers: string[];
  routes: ReturnType<AlertingPipeline['router']['match']>;
}

async function rows(d: AmApiDeps, url: URL, externalUrl: string): Promise<AlertRow[]> {
  const match = filters(url);
  const [active, silenced, inhibited] = [flag(url, 'active'), flag(url, 'silenced'), flag(url, 'inhibited')];
  const byReceiver = receiverFilter(url);
  const views = await d.alerting.activeAlerts();
  const hexOf = new Map(views.map((v) => [v.fingerprint, labelSetFingerprint(amLabels(alertFromView(v)))]));
  const out: AlertRow[] = [];
  for (const view of views) {
    const a = alertFromView(view);
    const labels = amLabels(a);
    if (!matchesAll(match, labels)) continue;
    const routes = d.alerting.router.match(a.labels);
    const receivers = routes.map((r) => r.receiver);
    if (byReceiver && !byReceiver(receivers)) continue;
    const muted = view.mutedBy ?? '';
    const silencedBy = muted.startsWith('silence:') ? [muted.slice('silence:'.length)] : [];
    const inhibitedBy = muted.startsWith('inhibited:')
      ? [hexOf.get(muted.slice('inhibited:'.length)) ?? muted.slice('inhibited:'.length)]
      : [];
    const state = muted ? 'suppressed' : 'active';
    if (state === 'active' && !active) continue;
    if (silencedBy.length > 0 && !silenced) continue;
    if (inhibitedBy.length > 0 && !inhibited) continue;
    const gen = generatorUrl(externalUrl, labels);
    out.push({
      view,
      labels,
      receivers,
      routes,
      body: {
        labels,
        annotations: amAnnotations(a),
        startsAt: rfc3339(a.startsAt),
        endsAt: GO_ZERO_TIME,
        updatedAt: rfc3339(a.startsAt),
        fingerprint: labelSetFingerprint(labels),
        receivers: receivers.map((name) => ({ name })),
        status: { state, silencedBy, inhibitedBy, mutedBy: [] },
        ...(gen ? { generatorURL: gen } : {}),
      },
    });
  }
  return out.sort((x, y) => ((x.body.fingerprint as string) < (y.body.fingerprint as string) ? -1 : 1));
}

async function gettableAlerts(d: AmApiDeps, url: URL, externalUrl: string): Promise<unknown[]> {
  return (await rows(d, url, externalUrl)).map((r) => r.body);
}

/** Alerts by aggregation group: one per route taking them and group_by values, as Alertmanager's dispatcher groups them. */
async function alertGroups(d: AmApiDeps, url: URL, externalUrl: string): Promise<unknown[]> {
  const groups = new Map<
    string,
    { labels: Record<string, string>; receiver: { name: string }; routeLabels: Record<string, string>; alerts: unknown[] }
  >();
  for (const r of await rows(d, url, externalUrl)) {
    for (const route of r.routes) {
      const labels = groupLabels(route, r.view.labels as Record<string, string>);
      const key = `${route.id}|${JSON.stringify(Object.entries(labels).sort())}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { labels, receiver: { name: route.receiver }, routeLabels: {}, alerts: [] }));
      g.alerts.push(r.body);
    }
  }
  return [...groups.values()];
}

// ---- silences ----

function amMatcher(text: string) {
  const m = parseMatcher(text);
  return { name: m.name, value: m.value, isRegex: m.op === '=~' || m.op === '!~', isEqual: m.op === '=' || m.op === '=~' };
}

/** Alertmanager's silence filter: every filter matcher is one of the silence's matchers (name, type and value). */
function silenceHas(matchers: string[], filter: Matcher[]): boolean {
  const own = matchers.map((t) => parseMatcher(t));
  return filter.every((f) => own.some((o) => o.name === f.name && o.op === f.op && o.value === f.value));
}

function silenceState(s: Silence, now: number): 'pending' | 'active' | 'expired' {
  if (now >= s.endsAt) return 'expired';
  return now < s.startsAt ? 'pending' : 'active';
}

function gettableSilence(s: Silence, now: number) {
  const state = silenceState(s, now);
  return {
    id: s.id,
    status: { state },
    // An expired silence was last changed when it ended (DELETE expires it now); others when made.
    updatedAt: rfc3339(state === 'expired' ? Math.max(s.createdAt, s.endsAt) : s.createdAt),
    matchers: s.matchers.map(amMatcher),
    startsAt: rfc3339(s.startsAt),
    endsAt: rfc3339(s.endsAt),
    createdBy: s.createdBy,
    comment: s.comment,
  };
}

const STATE_ORDER = { active: 0, pending: 1, expired: 2 } as const;

/** As Alertmanager lists them: active (ending first), pending (starting first), expired (latest first). */
function sortSilences<T extends { status: { state: keyof typeof STATE_ORDER }; startsAt: string; endsAt: string }>(list: T[]): T[] {
  return list.sort((a, b) => {
    const d = STATE_ORDER[a.status.state] - STATE_ORDER[b.status.state];
    if (d !== 0) return d;
    if (a.status.state === 'pending') return Date.parse(a.startsAt) - Date.parse(b.startsAt);
    if (a.status.state === 'expired') return Date.parse(b.endsAt) - Date.parse(a.endsAt);
    return Date.parse(a.endsAt) - Date.parse(b.endsAt);
  });
}

function str(o: Record<string, unknown>, key: string, required = true): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return required ? fail(400, `${key} is required`) : undefined;
  if (typeof v !== 'string') fail(400, `${key}: expected a string`);
  return v;
}

function time(o: Record<string, unknown>, key: string): number {
  const v = str(o, key)!;
  const t = Date.parse(v);
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(v) || !Number.isFinite(t))
    fail(400, `${key}: expected an RFC 3339 time, got ${JSON.stringify(v)}`);
  return t;
}

/** A PostableSilence → flowwatch's matcher texts, bounds and author; an `id` replaces that silence (expired, a new one made). */
async function postSilence(d: AmApiDeps, raw: unknown): Promise<{ silenceID: string }> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(400, 'expected a silence object');
  const o = raw as Record<string, unknown>;
  if (!Array.isArray(o.matchers) || o.matchers.length === 0) fail(400, 'matchers: a silence needs at least one matcher');
  const matchers = (o.matchers as unknown[]).map((m, i) => {
    if (typeof m !== 'object' || m === null) fail(400, `matchers.${i}: expected {name, value, isRegex, isEqual}`);
    const x = m as Record<string, unknown>;
    if (typeof x.name !== 'string' || typeof x.value !== 'string' || typeof x.isRegex !== 'boolean')
      fail(400, `matchers.${i}: name, value (strings) and isRegex (boolean) are required`);
    if (x.isEqual !== undefined && typeof x.isEqual !== 'boolean') fail(400, `matchers.${i}: isEqual must be a boolean`);
    const equal = x.isEqual !== false;
    const op = x.isRegex ? (equal ? '=~' : '!~') : equal ? '=' : '!=';
    const text = `${x.name}${op}${JSON.stringify(x.value)}`;
    try {
      return parseMatcher(text).toString();
    } catch (err) {
      return fail(400, `matchers.${i}: ${(err as Error).message}`);
    }
  });
  const createdBy = str(o, 'createdBy')!.trim();
  if (!createdBy) fail(400, 'createdBy must be a non-empty string');
  const comment = str(o, 'comment', false) ?? '';
  if (createdBy.length > 200 || comment.length > 2000) fail(400, 'createdBy (200) or comment (2000 characters) too long');
  const now = d.alerting.now();
  // As Alertmanager does: a start in the past means now.
  const startsAt = Math.max(time(o, 'startsAt'), now);
  const endsAt = time(o, 'endsAt');
  if (endsAt <= now) fail(400, 'endsAt is in the past');
  if (endsAt <= startsAt) fail(400, 'endsAt must be after startsAt');
  if (endsAt - startsAt > d.maxSilenceMs)
    fail(
      400,
      `a silence may last at most ${formatDuration(d.maxSilenceMs)} (alerting.api.max_silence); this one would end ${new Date(endsAt).toISOString()}`,
    );
  const id = str(o, 'id', false);
  if (id) {
    const old = (await d.alerting.silences()).find((s) => s.id === id);
    if (!old) fail(404, `no silence with id ${JSON.stringify(id)}`);
    if (old.state !== 'expired') await d.alerting.expireSilence(id);
  }
  const created = await d.alerting.createSilence({ matchers, startsAt, endsAt, createdBy, comment });
  return { silenceID: created.id };
}
