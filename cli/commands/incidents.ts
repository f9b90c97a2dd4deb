import type { Command } from 'commander';
import { apiOptions, call, type ApiFlags } from '../api-client';

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
