import type { Command } from 'commander';
import { FlowwatchError } from '../../kernel/errors';
import { durationOption } from '../options';
import { formatDuration } from '../../kernel/duration';

interface ApiFlags {
  url?: string;
  tokenEnv?: string;
  json?: boolean;
}

const DEFAULT_URL = 'http://127.0.0.1:9464';

/** The parts of the API's answers (api/server.ts) that these commands print. */
interface AlertRow {
  id: string;
  severity: string;
  startsAt: string;
  stream: string;
  detector: string;
  summary: string;
  flapping?: boolean;
  ack?: { by: string };
  mutedBy?: string;
}
interface SilenceRow {
  id: string;
  state: string;
  endsAt: string;
  createdBy: string;
  matchers: string[];
  comment?: string;
}

/** Calls the flowwatch HTTP API; a 4xx/5xx becomes one clear error line, never a stack. */
async function call<T>(flags: ApiFlags, method: string, path: string, body?: unknown): Promise<T> {
  const base = (flags.url ?? process.env.FLOWWATCH_API_URL ?? DEFAULT_URL).replace(/\/+$/, '');
  const tokenEnv = flags.tokenEnv ?? 'FLOWWATCH_API_TOKEN';
  const token = process.env[tokenEnv];
  if (!token)
    throw new FlowwatchError('FW_USAGE', `no API token: set ${tokenEnv} in the environment (the token the server was started with)`);
  let res: Response;
  try {
    res = await fetch(base + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    throw new FlowwatchError(
      'FW_USAGE',
      `cannot reach the flowwatch API at ${base}: ${e.cause?.code ?? e.message} (is \`flowwatch run\` running with alerting.api configured?)`,
    );
  }
  const text = await res.text();
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    data = { error: text };
  }
  if (!res.ok)
    throw new FlowwatchError(
      'FW_USAGE',
      `${method} ${path}: ${res.status} ${(data as { error?: string } | null)?.error ?? res.statusText}`,
    );
  return data as T;
}

function apiOptions(c: Command): Command {
  return c
    .option('--url <url>', `API base URL (default $FLOWWATCH_API_URL, else ${DEFAULT_URL})`)
    .option('--token-env <name>', 'environment variable holding the bearer token (default FLOWWATCH_API_TOKEN)')
    .option('--json', 'print the API answer as JSON');
}

const out = (s: string): void => void process.stdout.write(s + '\n');
const since = (iso: string) => formatDuration(Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000) * 1000)) || '0s';

export function registerAlerts(program: Command): void {
  const alerts = program
    .command('alerts')
    .description('active alerts, acknowledgements and silences, through the HTTP API of a running flowwatch')
    .addHelpText(
      'after',
      '\nThe token comes from the environment only (FLOWWATCH_API_TOKEN), never from a flag, so it stays out of shell history and `ps`.\n',
    );

  apiOptions(alerts.command('ls').description('list firing alerts (id, severity, age, ack, muted, summary)')).action(
    async (flags: ApiFlags) => {
      const data = await call<{ alerts: AlertRow[] }>(flags, 'GET', '/api/alerts');
      if (flags.json) return out(JSON.stringify(data, null, 2));
      if (data.alerts.length === 0) return out('no firing alerts');
      for (const a of data.alerts) {
        const notes = [a.flapping ? 'FLAPPING' : '', a.ack ? `acked by ${a.ack.by}` : '', a.mutedBy ? `muted (${a.mutedBy})` : '']
          .filter(Boolean)
          .join(', ');
        out(
          `${a.id}  ${a.severity.padEnd(8)} ${since(a.startsAt).padStart(7)}  ${a.stream}/${a.detector}  ${a.summary}${notes ? '  [' + notes + ']' : ''}`,
        );
      }
    },
  );

  apiOptions(alerts.command('ack <id>').description('acknowledge a firing alert (by id or fingerprint): it stops repeating and escalating'))
    .option('--by <name>', 'who acknowledges (default $USER)')
    .option('-m, --comment <text>', 'a note for the others on duty')
    .action(async (id: string, flags: ApiFlags & { by?: string; comment?: string }) => {
      const by = flags.by ?? process.env.USER ?? 'cli';
      const data = await call<{ ack: { alertId: string; by: string; at: string } }>(
        flags,
        'POST',
        `/api/alerts/${encodeURIComponent(id)}/ack`,
        { by, ...(flags.comment ? { comment: flags.comment } : {}) },
      );
      out(flags.json ? JSON.stringify(data, null, 2) : `acknowledged ${data.ack.alertId} by ${data.ack.by} at ${data.ack.at}`);
    });

  apiOptions(alerts.command('silence').description('silence alerts matching every --matcher for --duration'))
    .requiredOption(
      '--matcher <m>',
      'label matcher, e.g. \'stream="people"\' or \'key=~"gate-.*"\' (repeatable)',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .requiredOption('-d, --duration <d>', 'how long, e.g. 2h', durationOption)
    .option('--by <name>', 'who creates it (default $USER)')
    .option('-m, --comment <text>', 'why')
    .action(async (flags: ApiFlags & { matcher: string[]; duration: number; by?: string; comment?: string }) => {
      const data = await call<{ silence: SilenceRow }>(flags, 'POST', '/api/silences', {
        matchers: flags.matcher,
        duration: formatDuration(flags.duration),
        createdBy: flags.by ?? process.env.USER ?? 'cli',
        ...(flags.comment ? { comment: flags.comment } : {}),
      });
      out(
        flags.json
          ? JSON.stringify(data, null, 2)
          : `silence ${data.silence.id} until ${data.silence.endsAt}: ${data.silence.matchers.join(', ')}`,
      );
    });

  apiOptions(alerts.command('silences').description('list silences (active, pending and recently expired)')).action(
    async (flags: ApiFlags) => {
      const data = await call<{ silences: SilenceRow[] }>(flags, 'GET', '/api/silences');
      if (flags.json) return out(JSON.stringify(data, null, 2));
      if (data.silences.length === 0) return out('no silences');
      for (const s of data.silences)
        out(
          `${s.id}  ${s.state.padEnd(8)} until ${s.endsAt}  by ${s.createdBy}  ${s.matchers.join(', ')}${s.comment ? '  # ' + s.comment : ''}`,
        );
    },
  );

  apiOptions(alerts.command('expire <silence-id>').description('end a silence now')).action(async (id: string, flags: ApiFlags) => {
    const data = await call<{ silence: SilenceRow }>(flags, 'DELETE', `/api/silences/${encodeURIComponent(id)}`);
    out(flags.json ? JSON.stringify(data, null, 2) : `silence ${data.silence.id} expired`);
  });
}
