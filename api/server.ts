import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeServer, send } from './http';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { AlertingPipeline } from '../alerts/alerting';
import type { ApiConfig } from '../alerts/config';
import { matcherProblem, matchesAll, parseMatchers } from '../alerts/matchers';
import { formatDuration, parseDuration } from '../kernel/duration';
import { FlowwatchError, isFlowwatchError } from '../kernel/errors';
import { outcomeWithin } from '../kernel/settle';
import type { MetricsText } from './metrics';
import type { Health } from '../kernel/health';
import { readiness } from './telemetry';
import { alertmanagerV2 } from './alertmanager-v2';
import { incidentJson, incidentsApi } from './incidents';
import { silenceJson } from './views';
import { ConsoleAssets } from '../console/assets';
import { LiveFeed } from '../console/feed';
import { silencePreview } from '../console/board';
import { Sessions } from '../console/session';
import { Access, actorOf, tokenDigest, tokenProblem, type ApiUser } from './access';
import { checkSilence, deskRoute, mayExpire, visibleAlert, visibleAlerts } from './desk-routes';
import { TrustedProxy, type TrustedProxyConfig } from './trusted-proxy';
import { SeriesReader, type SeriesAlert } from '../console/series';
import { replayOf, seriesCsv } from '../console/replay';
import type { InfluxDbSinkConfig } from '../sinks/influxdb';

export { tokenProblem };

const MAX_BODY = 64 * 1024;

/** The bearer token from the environment variable the config names; no token, no API. */
export function apiToken(cfg: Pick<ApiConfig, 'token_env'>, env: NodeJS.ProcessEnv = process.env): string {
  const token = env[cfg.token_env];
  if (!token)
    throw new FlowwatchError(
      'FW_USAGE',
      `the HTTP API needs a bearer token: set ${cfg.token_env} in the environment (refusing to start the API without one)`,
    );
  const problem = tokenProblem(token);
  if (problem)
    throw new FlowwatchError('FW_USAGE', `${cfg.token_env} is not a usable bearer token: ${problem} (e.g. \`openssl rand -hex 24\`)`);
  return token;
}

export function parseListen(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  return { host: listen.slice(0, i) || '127.0.0.1', port: Number(listen.slice(i + 1)) };
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const ackBody = z
  .object({
    by: z.string().trim().min(1, 'who acknowledges: "by" must be a non-empty string').max(200),
    comment: z.string().max(2000).optional(),
  })
  .strict();

/** alerting.api.max_silence's default: 30 days. */
const DEFAULT_MAX_SILENCE_MS = 30 * 86_400_000;

const silenceBody = z
  .object({
    matchers: z
      .array(z.string())
      .min(1, 'a silence needs at least one matcher')
      .superRefine((ms, ctx) => {
        ms.forEach((m, i) => {
          const p = matcherProblem(m);
          if (p) ctx.addIssue({ code: 'custom', path: [i], message: p });
        });
      }),
    startsAt: z.string().datetime({ offset: true }).optional(),
    endsAt: z.string().datetime({ offset: true }).optional(),
    /** Instead of endsAt: how long from startsAt (or now), e.g. "2h". */
    duration: z.string().optional(),
    createdBy: z.string().trim().min(1, '"createdBy" must be a non-empty string').max(200),
    comment: z.string().max(2000).optional(),
  })
  .strict();

function zodMessage(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.length ? i.path.join('.') + ': ' : ''}${i.message}`).join('; ');
}

/**
 * The small HTTP API (docs/alerting.md): alerts with evidence, acks, silences, health and
 * Prometheus metrics. /api/* needs `Authorization: Bearer <token>`; /healthz, /readyz and
 * /metrics do not. A bad request changes nothing and gets a 4xx with a message saying why.
 */
export class ApiServer {
  private server?: Server;
  private readonly users = new Map<string, ApiUser>();
  private readonly access: Access;
  private readonly sessions: Sessions;
  private readonly assets = new ConsoleAssets();
  private readonly feed: LiveFeed;
  private readonly proxy?: TrustedProxy;
  private readonly series: SeriesReader;

  constructor(
    private readonly o: {
      alerting: AlertingPipeline;
      metrics?: MetricsText;
      /** The admin's token (token_env); with `users`, may be left out. */
      token?: string;
      /** Users with their own tokens and teams (alerting.api.users, read by apiUsers). */
      users?: Array<ApiUser & { token: string }>;
      /** alerting.api.teams: which receivers each team owns. */
      teams?: ReadonlyArray<{ name: string; receivers: string[] }>;
      /** Console sessions: idle and absolute lifetime (alerting.api.session_idle / session_max). */
      sessionIdleMs?: number;
      sessionMaxMs?: number;
      log: Logger;
      /** Readiness beyond the alert store answering: the worker's parts (sources connected, stores, sinks). */
      health?: Health;
      /** Longest silence accepted (alerting.api.max_silence). */
      maxSilenceMs?: number;
      /** How often the console's live feed reads the store while a board is open (default 500 ms). */
      feedIntervalMs?: number;
      /** alerting.api.trusted_proxy: people signed in by a reverse proxy's header. */
      trustedProxy?: TrustedProxyConfig;
      /** The InfluxDB sink the workers write (the card's chart reads the key's series back) and its token. */
      influx?: { sink: InfluxDbSinkConfig; token: string };
      /** The config file the workers run, for the card's backtest command. */
      configFile?: string;
    },
  ) {
    if (o.token) this.users.set(tokenDigest(o.token), { name: 'admin', admin: true, teams: [] });
    for (const u of o.users ?? []) this.users.set(tokenDigest(u.token), { name: u.name, admin: u.admin, teams: u.teams });
    this.access = new Access(o.alerting.router, o.teams ?? []);
    if (o.trustedProxy) this.proxy = new TrustedProxy(o.trustedProxy, o.users ?? []);
    this.series = new SeriesReader({ sink: o.influx?.sink, token: o.influx?.token, log: o.log.child({ component: 'console-series' }) });
    this.sessions = new Sessions({ idleMs: o.sessionIdleMs ?? 30 * 60_000, maxMs: o.sessionMaxMs ?? 12 * 3_600_000 });
    this.feed = new LiveFeed({
      alerting: o.alerting,
      access: this.access,
      sessions: this.sessions,
      log: o.log.child({ component: 'console-feed' }),
      intervalMs: o.feedIntervalMs,
    });
  }

  /** Boards open on the console's live feed now. */
  get openBoards(): number {
    return this.feed.open;
  }

  /** `fix`: what to tell the operator when the address is taken (the worker's config key, or the console's flag). */
  async listen(host: string, port: number, fix = 'set alerting.api.listen to a free host:port'): Promise<{ host: string; port: number }> {
    const server = createServer((req, res) => void this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        const why =
          err.code === 'EADDRINUSE'
            ? 'the address is in use (another flowwatch worker with the API on this host?)'
            : err.code === 'EACCES'
              ? 'permission denied (ports below 1024 need privileges)'
              : err.message;
        reject(new FlowwatchError('FW_USAGE', `the alerting API cannot listen on ${host}:${port}: ${why}; ${fix}`, { cause: err }));
      });
      server.listen(port, host, () => resolve());
    });
    const addr = server.address() as AddressInfo;
    this.o.log.info({ host: addr.address, port: addr.port }, 'HTTP API listening');
    return { host: addr.address, port: addr.port };
  }

  async close(): Promise<void> {
    this.feed.close();
    await closeServer(this.server);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    try {
      if (await this.console(method, url, req, res)) return;
      const out = await this.route(method, url, req);
      send(res, out.status ?? 200, out.body, out.contentType);
    } catch (err) {
      const status =
        err instanceof HttpError
          ? err.status
          : isFlowwatchError(err) && typeof err.details?.status === 'number'
            ? (err.details.status as number)
            : 500;
      const message = status === 500 ? 'internal error' : (err as Error).message;
      if (status === 500) this.o.log.error({ err, method, path: url.pathname }, 'API request failed');
      else this.o.log.info({ method, path: url.pathname, status, reason: message }, 'API request refused');
      send(res, status, { error: message }, undefined, status === 401 ? { 'www-authenticate': 'Bearer realm="flowwatch"' } : undefined);
    }
  }

  /**
   * The duty-officer console (docs/console.md): its page, script and style without a token (they
   * hold no data), and its live feed under /api/ with one. True when this request was the console's.
   */
  private async console(method: string, url: URL, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (this.assets.has(path)) {
      allow(method, ['GET', 'HEAD']);
      this.assets.serve(path, res);
      return true;
    }
    if (path === '/api/console/session') {
      allow(method, ['POST', 'DELETE']);
      send(res, method === 'POST' ? 201 : 200, this.session(method, req));
      return true;
    }
    const series = /^\/api\/alerts\/([^/]+)\/series(\.csv)?$/.exec(path);
    if (series) {
      allow(method, ['GET']);
      await this.alertSeries(decodeURIComponent(series[1]), series[2] === '.csv', req, res);
      return true;
    }
    if (path !== '/api/console/events') return false;
    allow(method, ['GET']);
    const { user, session } = this.authorize(req);
    await this.feed.subscribe(req, res, user, session);
    return true;
  }

  /**
   * GET /api/alerts/:id/series: the chart's points around the alert (InfluxDB, or none with a
   * note) and the backtest command that replays the key; `.csv`: the points as backtest's input.
   */
  private async alertSeries(id: string, csv: boolean, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { user } = this.authorize(req);
    const a = await visibleAlert({ alerting: this.o.alerting, access: this.access, user }, id);
    const answer = await this.series.read(a as unknown as SeriesAlert);
    if (csv) return send(res, 200, seriesCsv(answer), 'text/csv; charset=utf-8');
    const replay = replayOf(a as unknown as Parameters<typeof replayOf>[0], answer, this.o.configFile);
    send(res, 200, { ...answer, replay });
  }

  /** POST /api/console/session: a user's token for a short-lived console session; DELETE ends the one in use. */
  private session(method: string, req: IncomingMessage): unknown {
    const { user, session } = this.authorize(req);
    if (method === 'DELETE') {
      if (session) this.sessions.end(session);
      return { ended: Boolean(session) };
    }
    if (session) throw new HttpError(400, 'sign in with your API token, not a session');
    const s = this.sessions.create(user);
    return {
      session: s.token,
      expiresAt: new Date(s.expiresAt).toISOString(),
      idleSeconds: Math.round((this.o.sessionIdleMs ?? 30 * 60_000) / 1000),
      user,
      teams: this.access.teamNames,
    };
  }

  private async route(method: string, url: URL, req: IncomingMessage): Promise<{ status?: number; body: unknown; contentType?: string }> {
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (path === '/healthz') return { body: { status: 'ok' } };
    if (path === '/readyz') return this.ready();
    if (path === '/metrics' && method === 'GET') {
      if (!this.o.metrics) throw new HttpError(404, 'metrics are not enabled');
      return { body: await this.o.metrics.text(), contentType: this.o.metrics.contentType };
    }
    if (!path.startsWith('/api/')) throw new HttpError(404, `no such endpoint: ${method} ${path}`);
    const { user } = this.authorize(req);
    const a = this.o.alerting;
    const desk = await deskRoute(method, path, req, { alerting: a, access: this.access, user, readJson });
    if (desk) return desk;
    if (path.startsWith('/api/v2/') && !user.admin)
      throw new HttpError(403, 'the Alertmanager v2 API is for admins (it does not know teams)');
    if (path.startsWith('/api/v2/'))
      return alertmanagerV2(method, path, url, req, { alerting: a, readJson, maxSilenceMs: this.o.maxSilenceMs ?? DEFAULT_MAX_SILENCE_MS });
    if (path === '/api/incidents' && method === 'GET' && !user.admin && a.incidents) return this.teamIncidents(user);
    const guard = user.admin ? undefined : (id: string, department?: string) => this.teamMayTouchIncident(user, id, department);
    const incidents = await incidentsApi(method, path, req, { incidents: a.incidents, readJson, guard });
    if (incidents) return incidents;

    if (path === '/api/alerts') {
      allow(method, ['GET']);
      return { body: { alerts: await visibleAlerts(a, this.access, user) } };
    }
    let m = /^\/api\/alerts\/([^/]+)\/ack$/.exec(path);
    if (m) {
      allow(method, ['POST']);
      const body = ackBody.safeParse(await readJson(req));
      if (!body.success) throw new HttpError(400, zodMessage(body.error));
      const target = await visibleAlert({ alerting: a, access: this.access, user }, decodeURIComponent(m[1]));
      const ack = await a.ack(target.id, body.data.by, body.data.comment, actorOf(user, body.data.by));
      return {
        body: {
          ack: { alertId: ack.alertId, by: ack.by, at: new Date(ack.at).toISOString(), ...(ack.comment ? { comment: ack.comment } : {}) },
        },
      };
    }
    if (path === '/api/silences/preview') {
      allow(method, ['POST']);
      return this.preview(req, user);
    }
    if (path === '/api/silences') {
      allow(method, ['GET', 'POST']);
      if (method === 'GET') return { body: { silences: (await this.visibleSilences(user)).map(silenceJson) } };
      return this.createSilence(req, user);
    }
    m = /^\/api\/silences\/([^/]+)$/.exec(path);
    if (m) {
      allow(method, ['GET', 'DELETE']);
      const id = decodeURIComponent(m[1]);
      if (method === 'GET') {
        const s = (await this.visibleSilences(user)).find((x) => x.id === id);
        if (!s) throw new HttpError(404, `no silence with id ${JSON.stringify(id)}`);
        return { body: { silence: silenceJson(s) } };
      }
      const s = (await a.silences()).find((x) => x.id === id);
      if (s && !mayExpire(user, s)) throw new HttpError(403, 'only an admin or the team that created a silence may expire it');
      const expired = await a.expireSilence(id, actorOf(user));
      return { body: { silence: silenceJson({ ...expired, state: 'expired' }) } };
    }
    throw new HttpError(404, `no such endpoint: ${method} ${path}`);
  }

  /** GET /api/incidents for a team user: the incidents of its departments or with an alert of its teams (the board's list). */
  private async teamIncidents(user: ApiUser): Promise<{ body: unknown }> {
    const all = (await this.o.alerting.incidents?.list()) ?? [];
    const mine = all.filter((i) => Access.sees(user, this.access.teamsOfIncident(i)));
    return { body: { incidents: mine.map((i) => incidentJson(i, false)) } };
  }

  /**
   * A team user reads, acknowledges or closes only an incident of its teams (as the list shows
   * them: its departments' receivers or its member alerts' routes) — another team's is "not
   * found", as an alert is; it acknowledges only for a department whose receiver its team owns.
   */
  private async teamMayTouchIncident(user: ApiUser, id: string, department?: string): Promise<void> {
    const incident = await this.o.alerting.incidents?.get(id);
    if (!incident || !Access.sees(user, this.access.teamsOfIncident(incident)))
      throw new HttpError(404, `no incident with id ${JSON.stringify(id)}`);
    const dept = incident.departments.find((d) => d.name === department);
    if (dept && !Access.sees(user, this.access.teamsOfReceiver(dept.receiver)))
      throw new HttpError(
        403,
        `department "${dept.name}" is not one of your teams' (its receiver ${dept.receiver}); ask that department or an admin`,
      );
  }

  /** /readyz: the alert store answers within a bound (the API serves acks and silences from it), and every part is healthy. */
  private async ready(): Promise<{ status?: number; body: unknown }> {
    // The API serves acks and silences from the alert store: it must answer here, within a bound.
    if (!(await resolvesWithin(this.o.alerting.store.ping(), 1000))) {
      const problems = [
        { component: 'alert-store', reason: 'the alert store does not answer within 1 s' },
        ...(this.o.health?.list() ?? []).map((p) => ({
          component: p.component,
          reason: p.reason,
          since: new Date(p.since).toISOString(),
        })),
      ];
      return { status: 503, body: { status: 'not ready', problems } };
    }
    if (this.o.health) return readiness(this.o.health);
    return { body: { status: 'ready' } };
  }

  /** POST /api/silences/preview: the firing alerts a silence with these matchers would mute now; nothing is stored. */
  private async preview(req: IncomingMessage, user: ApiUser): Promise<{ body: unknown }> {
    const body = silenceBody.pick({ matchers: true }).safeParse(await readJson(req));
    if (!body.success) throw new HttpError(400, zodMessage(body.error));
    const all = await silencePreview(this.o.alerting, body.data.matchers);
    const alerts = all.filter((x) => Access.sees(user, this.access.teamsOf(x)));
    // A team user learns that other teams' alerts are selected, not which.
    return { body: { alerts, othersSelected: all.length - alerts.length } };
  }

  /** Silences this user may see: admins all; others their teams' and those touching an alert they see. */
  private async visibleSilences(user: ApiUser) {
    const all = await this.o.alerting.silences();
    if (user.admin) return all;
    const labels = (await visibleAlerts(this.o.alerting, this.access, user)).map((x) => (x.labels ?? {}) as Record<string, string>);
    return all.filter((s) => mayExpire(user, s) || touchesAny(s.matchers, labels));
  }

  /** POST /api/silences: endsAt or a duration, bounded by alerting.api.max_silence. */
  private async createSilence(req: IncomingMessage, user: ApiUser): Promise<{ status?: number; body: unknown }> {
    const a = this.o.alerting;
    const body = silenceBody.safeParse(await readJson(req));
    if (!body.success) throw new HttpError(400, zodMessage(body.error));
    const s = body.data;
    const startsAt = s.startsAt ? Date.parse(s.startsAt) : undefined;
    let endsAt: number;
    if (s.endsAt && s.duration) throw new HttpError(400, 'give either endsAt or duration, not both');
    if (s.endsAt) endsAt = Date.parse(s.endsAt);
    else if (s.duration) {
      const ms = parseDuration(s.duration);
      if (ms === null || ms <= 0) throw new HttpError(400, `duration: expected a duration like "2h", got ${JSON.stringify(s.duration)}`);
      endsAt = (startsAt ?? a.now()) + ms;
    } else throw new HttpError(400, 'a silence needs endsAt or duration');
    const longest = this.o.maxSilenceMs ?? DEFAULT_MAX_SILENCE_MS;
    if (endsAt - (startsAt ?? a.now()) > longest) {
      throw new HttpError(
        400,
        `a silence may last at most ${formatDuration(longest)} (alerting.api.max_silence); this one would end ${new Date(endsAt).toISOString()}`,
      );
    }
    await checkSilence({ alerting: a, access: this.access, user }, s.matchers);
    const teams = user.admin ? undefined : user.teams;
    const created = await a.createSilence(
      { matchers: s.matchers, startsAt, endsAt, createdBy: s.createdBy, comment: s.comment, teams },
      actorOf(user, s.createdBy),
    );
    return { status: 201, body: { silence: silenceJson({ ...created, state: created.startsAt > a.now() ? 'pending' : 'active' }) } };
  }

  /** The user behind the bearer token (a user's token or a console session's), or named by the trusted proxy; 401 otherwise. */
  private authorize(req: IncomingMessage): { user: ApiUser; session?: string } {
    const h = req.headers.authorization;
    const proxied = h ? undefined : this.proxy?.userOf(req);
    if (proxied) return { user: proxied };
    if (!h) throw new HttpError(401, 'missing bearer token: send "Authorization: Bearer <token>"');
    const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
    if (!m) throw new HttpError(401, 'malformed Authorization header: expected "Bearer <token>"');
    if (this.sessions.isSession(m[1])) {
      const user = this.sessions.use(m[1]);
      if (!user) throw new HttpError(401, 'the console session has expired; sign in again');
      return { user, session: m[1] };
    }
    // Looked up by the token's SHA-256: the time a lookup takes says nothing about the token.
    const user = this.users.get(tokenDigest(m[1]));
    if (!user) throw new HttpError(401, 'wrong bearer token');
    return { user };
  }
}

function touchesAny(matchers: string[], labelSets: ReadonlyArray<Record<string, string>>): boolean {
  const parsed = parseMatchers(matchers);
  return labelSets.some((l) => matchesAll(parsed, l));
}

function allow(method: string, methods: string[]): void {
  if (!methods.includes(method)) throw new HttpError(405, `method ${method} not allowed here; use ${methods.join(' or ')}`);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  // A form or text/plain body is refused rather than guessed at (and a browser cannot send
  // application/json cross-site without a preflight).
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json')
    throw new HttpError(415, `expected Content-Type: application/json, got ${type ? JSON.stringify(type) : 'none'}`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, `request body larger than ${MAX_BODY} bytes`);
    chunks.push(c as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') throw new HttpError(400, 'expected a JSON body');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new HttpError(400, `malformed JSON: ${(err as Error).message}`);
  }
}

/** Whether `p` resolves within `ms`: a rejection, or no answer in time, is false. */
async function resolvesWithin(p: Promise<void>, ms: number): Promise<boolean> {
  const outcome = await outcomeWithin(p, ms);
  return outcome !== 'timeout' && 'value' in outcome;
}
