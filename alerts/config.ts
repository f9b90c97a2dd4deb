/**
 * The alerting part of the config: receivers, the routing tree, inhibition rules and the
 * `alerting` block (store, flap detection, escalation, delivery, HTTP API). config/schema.ts
 * includes these; the cross-field checks (receiver names that must exist) are in checkAlertingConfig.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { duration } from '../kernel/duration';
import { matcherProblem } from './matchers';
import { receiverSchema, type ReceiverConfig } from './receivers/registry';
import { receiverName } from './receivers/types';

const matcherList = z.array(
  z.string().superRefine((s, ctx) => {
    const p = matcherProblem(s);
    if (p) ctx.addIssue({ code: 'custom', message: p });
  }),
);

/** The receivers' schemas live with the receivers (alerts/receivers/registry.ts); the union is re-exported for config/schema.ts. */
export { receiverSchema };

export interface RouteInput {
  receiver?: string;
  matchers?: string[];
  continue?: boolean;
  group_by?: string[];
  group_wait?: string | number;
  group_interval?: string | number;
  repeat_interval?: string | number;
  routes?: RouteInput[];
}

/** A route; unset group settings are inherited from the parent (the root's defaults are below). */
export interface RouteConfig {
  receiver?: string;
  matchers: string[];
  continue: boolean;
  group_by?: string[];
  group_wait?: number;
  group_interval?: number;
  repeat_interval?: number;
  routes: RouteConfig[];
}

export const routeSchema: z.ZodType<RouteConfig, RouteInput> = z.lazy(() =>
  z
    .object({
      receiver: receiverName.optional(),
      matchers: matcherList.default([]),
      continue: z.boolean().default(false),
      group_by: z.array(z.string().min(1)).optional(),
      group_wait: duration().optional(),
      group_interval: duration().optional(),
      repeat_interval: duration({ min: 1000 }).optional(),
      routes: z.array(routeSchema).default([]),
    })
    .strict(),
);

export const ROUTE_DEFAULTS = {
  group_by: ['stream', 'detector'],
  /** No batching by default: each change goes out as soon as it is produced (early). */
  group_wait: 0,
  group_interval: 0,
  repeat_interval: 4 * 3_600_000,
} as const;

export const inhibitRuleSchema = z
  .object({
    /** A firing alert matching these mutes... */
    source_matchers: matcherList.min(1, 'expected at least one matcher'),
    /** ...alerts matching these... */
    target_matchers: matcherList.min(1, 'expected at least one matcher'),
    /** ...that carry the same values of these labels. */
    equal: z.array(z.string().min(1)).default([]),
  })
  .strict();

const escalationSchema = z
  .object({
    matchers: matcherList.default(['severity="critical"']),
    /** Time since the alert was first notified, unacknowledged, before it goes to `receiver`. */
    after: duration({ min: 1000 }),
    receiver: receiverName,
  })
  .strict();

const flapSchema = z
  .object({
    /** State changes counted over this window... */
    window: duration({ min: 1000 }).default(3_600_000),
    /** ...this many (or more) make the alert flapping: notified once, further changes held back. 0 disables. */
    threshold: z.number().int().min(0).default(6),
    /** A flapping alert that has not changed for this long is settled: its current state is notified. */
    quiet: duration({ min: 1000 }).default(30 * 60_000),
  })
  .strict();

const deliverySchema = z
  .object({
    initial_backoff: duration({ min: 1 }).default(1000),
    max_backoff: duration({ min: 1 }).default(60_000),
    /** How often each worker looks for due groups, timers and undelivered notifications. */
    poll_interval: duration({ min: 10 }).default(1000),
    /** A worker delivering to a receiver holds its lease this long (renewed per attempt). */
    lease: duration({ min: 1000 }).default(30_000),
    /** On shutdown, how long to keep delivering what is due (memory store: what would be lost). */
    drain_timeout: duration().default(5000),
  })
  .strict();

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name');

const apiUserSchema = z
  .object({
    name: z.string().trim().min(1).max(200),
    /** Environment variable holding this user's bearer token (never the token itself in the file). */
    token_env: envName,
    teams: z.array(z.string().min(1)).default([]),
    admin: z.boolean().default(false),
  })
  .strict()
  .refine((u) => u.admin || u.teams.length > 0, { message: 'a user needs teams or admin: true' });

const apiTeamSchema = z.object({ name: z.string().trim().min(1).max(100), receivers: z.array(receiverName).min(1) }).strict();

/** Why `entry` is not an IP address or CIDR block (trusted_proxy.from), or undefined. */
export function proxyAddressProblem(entry: string): string | undefined {
  const [ip, bits, extra] = entry.split('/');
  const family = isIP(ip);
  if (family === 0 || extra !== undefined) return `expected an IP address or a CIDR block like 10.0.0.0/8, got ${JSON.stringify(entry)}`;
  const max = family === 4 ? 32 : 128;
  if (bits !== undefined && (!/^\d+$/.test(bits) || Number(bits) > max))
    return `${JSON.stringify(entry)}: the prefix length must be 0–${max}`;
  return undefined;
}

/** Sign-in by a reverse proxy's header (api/trusted-proxy.ts, docs/console.md "Behind a reverse proxy"). */
const trustedProxySchema = z
  .object({
    /** The header the proxy sets to the signed-in user's name (it must overwrite what a client sends). */
    header: z
      .string()
      .regex(/^[A-Za-z0-9-]+$/, 'expected a header name like X-Forwarded-User')
      .default('X-Forwarded-User'),
    /** The proxy's addresses (IPs or CIDR blocks): the header from anywhere else is refused. */
    from: z
      .array(
        z
          .string()
          .superRefine((v, ctx) => void (proxyAddressProblem(v) && ctx.addIssue({ code: 'custom', message: proxyAddressProblem(v)! }))),
      )
      .min(1, "name the proxy's addresses: the header from anywhere else is refused"),
    /** People known only to the proxy (no token of their own); alerting.api.users may sign in through it too. */
    users: z
      .array(
        z
          .object({
            name: z.string().trim().min(1).max(200),
            teams: z.array(z.string().min(1)).default([]),
            admin: z.boolean().default(false),
          })
          .strict()
          .refine((u) => u.admin || u.teams.length > 0, { message: 'a user needs teams or admin: true' }),
      )
      .default([]),
  })
  .strict();

const apiSchema = z
  .object({
    /** host:port to listen on. */
    listen: z
      .string()
      .regex(/^[^\s:]*:\d+$/, 'expected host:port like "127.0.0.1:9464"')
      .default('127.0.0.1:9464'),
    /** Environment variable holding the bearer token; the API refuses to start without it. */
    token_env: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name')
      .default('FLOWWATCH_API_TOKEN'),
    /** Longest silence the API accepts (a silence of "100000w" is a typo, not a plan). */
    max_silence: duration({ min: 60_000 }).default(30 * 86_400_000),
    /** People with their own tokens (docs/console.md, "Who sees what"); token_env's token, when set, is an admin's. */
    users: z.array(apiUserSchema).default([]),
    /** Teams by the receivers they own: a team sees and acts on the alerts its receivers' routes take. */
    teams: z.array(apiTeamSchema).default([]),
    /** A console session not used (no request, no open board) for this long ends... */
    session_idle: duration({ min: 60_000 }).default(30 * 60_000),
    /** ...and any session ends this long after sign-in. */
    session_max: duration({ min: 60_000 }).default(12 * 3_600_000),
    /** Opt-in: people signed in by a reverse proxy that names them in a header. */
    trusted_proxy: trustedProxySchema.optional(),
  })
  .strict();

export const alertingSchema = z
  .object({
    /** Where alert state lives: memory (one process) or redis (shared by workers; url and prefix from `state`). Default: like state.backend. */
    store: z.enum(['memory', 'redis']).optional(),
    flap: flapSchema.default(flapSchema.parse({})),
    escalation: z.array(escalationSchema).default([]),
    delivery: deliverySchema.default(deliverySchema.parse({})),
    /** How long resolved alerts, the notification log and expired silences are kept. */
    retention: duration({ min: 60_000 }).default(86_400_000),
    /** The HTTP API (alerts, acks, silences, health, metrics); off unless configured. */
    api: apiSchema.optional(),
  })
  .strict();

export type { ReceiverConfig };
export type InhibitRuleConfig = z.output<typeof inhibitRuleSchema>;
export type AlertingConfig = z.output<typeof alertingSchema>;
export type EscalationConfig = z.output<typeof escalationSchema>;
export type ApiConfig = z.output<typeof apiSchema>;

export const ALERTING_DEFAULTS: AlertingConfig = alertingSchema.parse({});

/** Cross-field checks: unique receiver names, routes and escalations naming existing receivers. */
export function checkAlertingConfig(c: {
  receivers: readonly ReceiverConfig[];
  route?: RouteConfig;
  alerting: AlertingConfig;
}): Array<{ path: (string | number)[]; message: string }> {
  const problems: Array<{ path: (string | number)[]; message: string }> = [];
  const names = new Set<string>();
  c.receivers.forEach((r, i) => {
    if (names.has(r.name))
      problems.push({ path: ['receivers', i, 'name'], message: `duplicate receiver name "${r.name}"; give each receiver a unique name` });
    names.add(r.name);
  });
  const known = () => [...names].join(', ');
  const walk = (r: RouteConfig, path: (string | number)[]) => {
    if (r.receiver !== undefined && !names.has(r.receiver))
      problems.push({ path: [...path, 'receiver'], message: `unknown receiver "${r.receiver}"; receivers are ${known()}` });
    r.routes.forEach((child, i) => walk(child, [...path, 'routes', i]));
  };
  if (c.route) walk(c.route, ['route']);
  c.alerting.escalation.forEach((e, i) => {
    if (!names.has(e.receiver))
      problems.push({
        path: ['alerting', 'escalation', i, 'receiver'],
        message: `unknown receiver "${e.receiver}"; receivers are ${known()}`,
      });
  });
  problems.push(...checkApiTeams(c.alerting, names));
  return problems;
}

/** alerting.api: users name known teams, teams own known receivers. */
function checkApiTeams(a: AlertingConfig, receivers: ReadonlySet<string>): Array<{ path: (string | number)[]; message: string }> {
  const problems: Array<{ path: (string | number)[]; message: string }> = [];
  const teams = new Set((a.api?.teams ?? []).map((t) => t.name));
  a.api?.teams.forEach((t, i) =>
    t.receivers.forEach((r, j) => {
      if (!receivers.has(r)) problems.push({ path: ['alerting', 'api', 'teams', i, 'receivers', j], message: `unknown receiver "${r}"` });
    }),
  );
  a.api?.users.forEach((u, i) =>
    u.teams.forEach((t, j) => {
      if (!teams.has(t))
        problems.push({
          path: ['alerting', 'api', 'users', i, 'teams', j],
          message: `unknown team "${t}"; define it in alerting.api.teams`,
        });
    }),
  );
  a.api?.trusted_proxy?.users.forEach((u, i) =>
    u.teams.forEach((t, j) => {
      if (!teams.has(t))
        problems.push({
          path: ['alerting', 'api', 'trusted_proxy', 'users', i, 'teams', j],
          message: `unknown team "${t}"; define it in alerting.api.teams`,
        });
    }),
  );
  return problems;
}
