import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import type { AlertingPipeline, ActiveAlertView } from '../alerts/alerting';
import type { AuditEntry } from '../alerts/pipeline/audit';
import { matchesAll, parseMatchers } from '../alerts/matchers';
import { FlowwatchError } from '../kernel/errors';
import { Access, actorOf, type ApiUser } from './access';

/** What the desk's endpoints need from the server. */
export interface DeskContext {
  alerting: AlertingPipeline;
  access: Access;
  user: ApiUser;
  readJson: (req: IncomingMessage) => Promise<unknown>;
}

type Answer = { status?: number; body: unknown };

const commentBody = z
  .object({ text: z.string().trim().min(1, 'a comment needs text').max(2000), by: z.string().trim().min(1).max(200).optional() })
  .strict();
const handOnBody = z
  .object({
    to: z.string().trim().min(1, 'hand on to which team: "to" must name one'),
    note: z.string().max(2000).optional(),
    by: z.string().trim().min(1).max(200).optional(),
  })
  .strict();

export function refused(status: number, message: string): FlowwatchError {
  return new FlowwatchError('FW_INPUT', message, { details: { status } });
}

function parsed<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body);
  if (!r.success) throw refused(400, r.error.issues.map((i) => `${i.path.length ? i.path.join('.') + ': ' : ''}${i.message}`).join('; '));
  return r.data;
}

/** The firing alerts this user may see. */
export async function visibleAlerts(alerting: AlertingPipeline, access: Access, user: ApiUser): Promise<ActiveAlertView[]> {
  const all = await alerting.activeAlerts();
  return all.map((a) => ({ ...a, teams: access.teamsOf(a) })).filter((a) => Access.sees(user, a.teams));
}

/** The firing alert with this id or fingerprint if this user may see it; 404 otherwise (another team's alert is not there for it). */
export async function visibleAlert(ctx: Omit<DeskContext, 'readJson'>, idOrFingerprint: string): Promise<ActiveAlertView> {
  const a = (await ctx.alerting.activeAlerts()).find((x) => x.id === idOrFingerprint || x.fingerprint === idOrFingerprint);
  if (!a || !Access.sees(ctx.user, ctx.access.teamsOf(a))) throw refused(404, `no firing alert with id ${JSON.stringify(idOrFingerprint)}`);
  return a;
}

/** Whether this user may read an audit entry: admins all; others their teams' entries and those about alerts they see. */
export function auditVisible(user: ApiUser, e: AuditEntry, visible: ReadonlySet<string>): boolean {
  return user.admin || e.teams.some((t) => user.teams.includes(t)) || (e.fingerprint !== undefined && visible.has(e.fingerprint));
}

/** POST /api/alerts/:id/comments, POST /api/alerts/:id/hand-on, GET /api/audit; undefined when the path is none of them. */
export async function deskRoute(method: string, path: string, req: IncomingMessage, ctx: DeskContext): Promise<Answer | undefined> {
  const m = /^\/api\/alerts\/([^/]+)\/(comments|hand-on)$/.exec(path);
  if (m) {
    if (method !== 'POST') throw refused(405, `method ${method} not allowed here; use POST`);
    const a = await visibleAlert(ctx, decodeURIComponent(m[1]));
    if (m[2] === 'comments') {
      const b = parsed(commentBody, await ctx.readJson(req));
      return { status: 201, body: { entry: entryJson(await ctx.alerting.desk.comment(a.fingerprint, b.text, actorOf(ctx.user, b.by))) } };
    }
    const b = parsed(handOnBody, await ctx.readJson(req));
    if (!ctx.access.teamNames.includes(b.to))
      throw refused(400, `no team ${JSON.stringify(b.to)}; teams are ${ctx.access.teamNames.join(', ') || '(none configured)'}`);
    const entry = await ctx.alerting.desk.handOn(a.fingerprint, b.to, b.note ?? '', actorOf(ctx.user, b.by));
    return { status: 201, body: { entry: entryJson(entry) } };
  }
  if (path === '/api/audit') {
    if (method !== 'GET') throw refused(405, `method ${method} not allowed here; use GET`);
    const visible = new Set((await visibleAlerts(ctx.alerting, ctx.access, ctx.user)).map((a) => a.fingerprint));
    const entries = (await ctx.alerting.desk.audit()).filter((e) => auditVisible(ctx.user, e, visible));
    return { body: { entries: entries.map(entryJson) } };
  }
  return undefined;
}

/**
 * Silences and teams, kept simple: a team user's silence must select at least one firing alert
 * now, and only alerts of its teams (checked against the firing alerts at creation); it is stored
 * with the user's teams, and only those teams (or an admin) may expire it.
 */
export async function checkSilence(ctx: Omit<DeskContext, 'readJson'>, matchers: readonly string[]): Promise<void> {
  if (ctx.user.admin) return;
  const parsedMatchers = parseMatchers(matchers);
  const selected = (await ctx.alerting.activeAlerts()).filter((a) =>
    matchesAll(parsedMatchers, (a.labels ?? {}) as Record<string, string>),
  );
  if (selected.length === 0) throw refused(403, 'a team silence must select at least one firing alert of your teams now; ask an admin');
  const others = selected.filter((a) => !Access.sees(ctx.user, ctx.access.teamsOf(a)));
  if (others.length > 0)
    throw refused(403, `these matchers also select ${others.length} firing alert(s) of other teams; narrow them, or ask an admin`);
}

export function mayExpire(user: ApiUser, s: { teams?: string[] }): boolean {
  return user.admin || (s.teams ?? []).some((t) => user.teams.includes(t));
}

export function entryJson(e: AuditEntry): Record<string, unknown> {
  return { ...e, at: new Date(e.at).toISOString() };
}
