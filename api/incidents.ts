/**
 * The incidents endpoints (docs/incidents.md), behind the same bearer token as the rest of /api/:
 * GET /api/incidents, GET /api/incidents/:id, POST /api/incidents/:id/ack {department, by, comment?},
 * POST /api/incidents/:id/close {by, note}.
 */
import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import type { Incident } from '../alerts/incidents/incident';
import type { Incidents } from '../alerts/incidents/incidents';
import { alertJson } from '../alerts/notification';
import { FlowwatchError } from '../kernel/errors';

const who = z.string().trim().min(1, '"by" must be a non-empty string').max(200);
const ackBody = z
  .object({ department: z.string().min(1, '"department" must be a non-empty string'), by: who, comment: z.string().max(2000).optional() })
  .strict();
const closeBody = z.object({ by: who, note: z.string().trim().min(1, 'closing by hand needs a "note"').max(2000) }).strict();

function refuse(status: number, message: string): FlowwatchError {
  return new FlowwatchError('FW_USAGE', message, { details: { status } });
}

function allow(method: string, methods: string[]): void {
  if (!methods.includes(method)) throw refuse(405, `method ${method} not allowed here; use ${methods.join(' or ')}`);
}

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body);
  if (!r.success) throw refuse(400, r.error.issues.map((i) => `${i.path.length ? i.path.join('.') + ': ' : ''}${i.message}`).join('; '));
  return r.data;
}

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

/** An incident as the API shows it: ISO times, member alerts with their evidence. */
export function incidentJson(i: Incident, full = true): Record<string, unknown> {
  return {
    id: i.id,
    title: i.title,
    status: i.status,
    severity: i.severity,
    rule: i.rule,
    anchor: i.anchor,
    openedAt: iso(i.openedAt),
    firstAlertAt: iso(i.firstAlertAt),
    updatedAt: iso(i.updatedAt),
    ...(i.endedAt !== undefined ? { endedAt: iso(i.endedAt) } : {}),
    version: i.version,
    departments: i.departments.map((d) => ({
      name: d.name,
      receiver: d.receiver,
      ...(d.ack ? { ack: { ...d.ack, at: iso(d.ack.at) } } : {}),
    })),
    streams: [...new Set(i.members.map((m) => m.stream))],
    members: full ? i.members.map((m) => ({ joinedAt: iso(m.joinedAt), ...alertJson(m.alert) })) : i.members.length,
    ...(full ? { timeline: i.timeline.map((e) => ({ ...e, at: iso(e.at) })) } : {}),
  };
}

/** Answers /api/incidents[...] or returns undefined when the path is not one of them. */
export async function incidentsApi(
  method: string,
  path: string,
  req: IncomingMessage,
  o: {
    incidents?: Incidents;
    readJson: (req: IncomingMessage) => Promise<unknown>;
    /** Refuses (throws) what the asking user may not do to this incident; an admin's request has none. */
    guard?: (incident: string, ackingFor?: string) => Promise<void>;
  },
): Promise<{ status?: number; body: unknown } | undefined> {
  if (path !== '/api/incidents' && !path.startsWith('/api/incidents/')) return undefined;
  const inc = o.incidents;
  if (!inc) throw refuse(404, 'incidents are not configured (add incidents.rules to the config)');
  if (path === '/api/incidents') {
    allow(method, ['GET']);
    return { body: { incidents: (await inc.list()).map((i) => incidentJson(i, false)) } };
  }
  const m = /^\/api\/incidents\/([^/]+)(?:\/(ack|close))?$/.exec(path);
  if (!m) throw refuse(404, `no such endpoint: ${method} ${path}`);
  const id = decodeURIComponent(m[1]);
  if (!m[2]) {
    allow(method, ['GET']);
    await o.guard?.(id);
    const i = await inc.get(id);
    if (!i) throw refuse(404, `no incident with id ${JSON.stringify(id)}`);
    return { body: { incident: incidentJson(i) } };
  }
  allow(method, ['POST']);
  if (m[2] === 'ack') {
    const b = parse(ackBody, await o.readJson(req));
    await o.guard?.(id, b.department);
    return { body: { incident: incidentJson(await inc.ack(id, b.department, b.by, b.comment)) } };
  }
  const b = parse(closeBody, await o.readJson(req));
  await o.guard?.(id);
  return { body: { incident: incidentJson(await inc.closeByHand(id, b.by, b.note)) } };
}
