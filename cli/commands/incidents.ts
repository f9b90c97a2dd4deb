import type { Command } from 'commander';
import { FlowwatchError } from '../../kernel/errors';

interface ApiFlags {
  url?: string;
  tokenEnv?: string;
  json?: boolean;
}

const DEFAULT_URL = 'http://127.0.0.1:9464';

/** The parts of the API's answers (api/incidents.ts) that these commands print. */
interface IncidentRow {
  id: string;
  title: string;
  status: string;
  severity: string;
  openedAt: string;
  streams: string[];
  members: number | Array<{ id: string; status: string; stream: string; summary: string; labels: Record<string, string> }>;
  departments: Array<{ name: string; ack?: { by: string; at: string } }>;
  timeline?: Array<{ at: string; kind: string; fingerprint?: string; department?: string; by?: string; note?: string }>;
}

/** Calls the flowwatch HTTP API (as `flowwatch alerts` does); a 4xx/5xx becomes one clear error line. */
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
    throw new FlowwatchError('FW_USAGE', `cannot reach the flowwatch API at ${base}: ${e.cause?.code ?? e.message}`);
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

function acks(i: IncidentRow): string {
  return i.departments.map((d) => `${d.name}${d.ack ? ` (acked by ${d.ack.by})` : ''}`).join(', ');
}

function show(i: IncidentRow): void {
  out(`${i.id}  ${i.status.toUpperCase()}  ${i.severity}  ${i.title}`);
  out(`opened ${i.openedAt}; flows: ${i.streams.join(', ')}; departments: ${acks(i)}`);
  out('members:');
  for (const m of Array.isArray(i.members) ? i.members : [])
    out(`  ${m.status.padEnd(8)} ${m.stream.padEnd(7)} ${m.id}  ${m.summary}${m.labels.where ? `  @ ${m.labels.where}` : ''}`);
  out('timeline:');
  for (const e of i.timeline ?? [])
    out(
      `  ${e.at}  ${e.kind}${e.department ? ' ' + e.department : ''}${e.by ? ' by ' + e.by : ''}${e.fingerprint ? ' ' + e.fingerprint : ''}${e.note ? ': ' + e.note : ''}`,
    );
}

export function registerIncidents(program: Command): void {
  const inc = program
    .command('incidents')
    .description('cross-flow incidents (alerts about one place or party across flows), through the HTTP API of a running flowwatch');

  apiOptions(inc.command('ls').description('list open and recently ended incidents')).action(async (flags: ApiFlags) => {
    const data = await call<{ incidents: IncidentRow[] }>(flags, 'GET', '/api/incidents');
    if (flags.json) return out(JSON.stringify(data, null, 2));
    if (data.incidents.length === 0) return out('no incidents');
    for (const i of data.incidents)
      out(
        `${i.id}  ${i.status.padEnd(12)} ${i.severity.padEnd(8)} ${String(i.members).padStart(3)} alerts  ${i.streams.join('+').padEnd(18)} ${i.title}  [${acks(i)}]`,
      );
  });

  apiOptions(inc.command('show <id>').description('one incident: member alerts with evidence, departments, timeline')).action(
    async (id: string, flags: ApiFlags) => {
      const data = await call<{ incident: IncidentRow }>(flags, 'GET', `/api/incidents/${encodeURIComponent(id)}`);
      if (flags.json) return out(JSON.stringify(data, null, 2));
      show(data.incident);
    },
  );

  apiOptions(
    inc.command('ack <id>').description('acknowledge an incident for one department (it is acknowledged when every department has)'),
  )
    .requiredOption('-d, --department <name>', 'the department acknowledging')
    .option('--by <name>', 'who acknowledges (default $USER)')
    .option('-m, --comment <text>', 'a note for the other departments')
    .action(async (id: string, flags: ApiFlags & { department: string; by?: string; comment?: string }) => {
      const body = {
        department: flags.department,
        by: flags.by ?? process.env.USER ?? 'cli',
        ...(flags.comment ? { comment: flags.comment } : {}),
      };
      const data = await call<{ incident: IncidentRow }>(flags, 'POST', `/api/incidents/${encodeURIComponent(id)}/ack`, body);
      out(flags.json ? JSON.stringify(data, null, 2) : `${data.incident.id} ${data.incident.status}: ${acks(data.incident)}`);
    });

  apiOptions(inc.command('close <id>').description('close an incident by hand, with a note'))
    .requiredOption('-m, --note <text>', 'why it is closed')
    .option('--by <name>', 'who closes it (default $USER)')
    .action(async (id: string, flags: ApiFlags & { note: string; by?: string }) => {
      const body = { by: flags.by ?? process.env.USER ?? 'cli', note: flags.note };
      const data = await call<{ incident: IncidentRow }>(flags, 'POST', `/api/incidents/${encodeURIComponent(id)}/close`, body);
      out(flags.json ? JSON.stringify(data, null, 2) : `${data.incident.id} closed`);
    });
}
