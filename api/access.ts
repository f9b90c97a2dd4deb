import { createHash } from 'node:crypto';
import type { ApiConfig } from '../alerts/config';
import type { Router } from '../alerts/route/route';
import { FlowwatchError } from '../kernel/errors';
import type { Actor } from '../alerts/pipeline/audit';

/** Who is asking: a user from alerting.api.users, or the admin of token_env. */
export interface ApiUser {
  name: string;
  admin: boolean;
  teams: string[];
}

/** Why a token is too weak to guard the API, or undefined. Checked at start, never logged. */
export function tokenProblem(token: string): string | undefined {
  if (/\s/.test(token)) return 'it contains whitespace (a header cannot carry it as one word)';
  if (token.length < 16) return `it has ${token.length} characters, at least 16 are needed`;
  if (new Set(token).size < 8) return 'it repeats too few distinct characters to be guessed only with effort (at least 8 distinct)';
  return undefined;
}

function usableToken(envName: string, token: string): string {
  const problem = tokenProblem(token);
  if (problem) throw new FlowwatchError('FW_USAGE', `${envName} is not a usable bearer token: ${problem} (e.g. \`openssl rand -hex 24\`)`);
  return token;
}

/**
 * The API's users with their tokens, read from the environment: token_env's token (when set) is
 * an admin named "admin"; each of alerting.api.users brings its own. No token at all, no API.
 */
export function apiUsers(
  cfg: Pick<ApiConfig, 'token_env'> & Partial<Pick<ApiConfig, 'users' | 'trusted_proxy'>>,
  env: NodeJS.ProcessEnv = process.env,
): Array<ApiUser & { token: string }> {
  const out: Array<ApiUser & { token: string }> = [];
  const admin = env[cfg.token_env];
  if (admin) out.push({ name: 'admin', admin: true, teams: [], token: usableToken(cfg.token_env, admin) });
  for (const u of cfg.users ?? []) {
    const token = env[u.token_env];
    if (!token)
      throw new FlowwatchError('FW_USAGE', `alerting.api.users "${u.name}" needs a bearer token: set ${u.token_env} in the environment`);
    out.push({ name: u.name, admin: u.admin, teams: u.admin ? [] : u.teams, token: usableToken(u.token_env, token) });
  }
  // Behind a trusted proxy people sign in through it: no token is needed then.
  if (out.length === 0 && !cfg.trusted_proxy)
    throw new FlowwatchError(
      'FW_USAGE',
      `the HTTP API needs a bearer token: set ${cfg.token_env} in the environment (refusing to start the API without one)`,
    );
  const seen = new Set<string>();
  for (const u of out) {
    if (seen.has(u.token)) throw new FlowwatchError('FW_USAGE', `two API users share a token (${u.name}): give each its own`);
    seen.add(u.token);
  }
  return out;
}

export function tokenDigest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** What an action by this user records: its name, the name it gave, its teams. */
export function actorOf(user: ApiUser, by?: string): Actor {
  return { user: user.name, by: by ?? user.name, teams: user.admin ? [] : user.teams };
}

/**
 * Which teams an alert belongs to: the teams owning a receiver its routes reach (alerting.api.teams),
 * and the team it was handed on to. A user sees and acts on an alert of one of its teams; an admin on all.
 */
export class Access {
  private readonly byReceiver = new Map<string, string[]>();
  private readonly cache = new Map<string, string[]>();
  readonly teamNames: string[];

  constructor(
    private readonly router: Router,
    teams: ReadonlyArray<{ name: string; receivers: string[] }>,
  ) {
    for (const t of teams) for (const r of t.receivers) this.byReceiver.set(r, [...(this.byReceiver.get(r) ?? []), t.name]);
    this.teamNames = teams.map((t) => t.name);
  }

  /** The routing teams of these labels (cached: routing is a pure function of the labels while the config stands). */
  teamsOfLabels(labels: Readonly<Record<string, string>>): string[] {
    const key = JSON.stringify(labels);
    let got = this.cache.get(key);
    if (!got) {
      got = [...new Set(this.router.match(labels).flatMap((r) => this.byReceiver.get(r.receiver) ?? []))];
      if (this.cache.size > 100_000) this.cache.clear();
      this.cache.set(key, got);
    }
    return got;
  }

  /** An alert view's teams: its routes' teams and its owner's. */
  teamsOf(a: Readonly<Record<string, unknown>>): string[] {
    const routing = this.teamsOfLabels((a.labels ?? {}) as Record<string, string>);
    const owner = (a.owner as { team?: string } | undefined)?.team;
    return owner && !routing.includes(owner) ? [...routing, owner] : routing;
  }

  /** An incident's teams: those owning a department's receiver, and those of its member alerts. */
  teamsOfIncident(i: {
    departments: ReadonlyArray<{ receiver: string }>;
    members: ReadonlyArray<{ alert: { labels: Record<string, string> } }>;
  }): string[] {
    const teams = new Set(i.departments.flatMap((d) => this.byReceiver.get(d.receiver) ?? []));
    for (const m of i.members) for (const t of this.teamsOfLabels(m.alert.labels)) teams.add(t);
    return [...teams];
  }

  /** The teams owning a receiver (alerting.api.teams). */
  teamsOfReceiver(receiver: string): string[] {
    return this.byReceiver.get(receiver) ?? [];
  }

  static sees(user: ApiUser, teams: readonly string[]): boolean {
    return user.admin || teams.some((t) => user.teams.includes(t));
  }
}
