import type { Command } from 'commander';
import { apiOptions, call, type ApiFlags } from '../api-client';
import { durationOption } from '../options';
import { formatDuration } from '../../kernel/duration';

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
