import type { Writable } from 'node:stream';
import type { Alert } from '../../core/types';
import type { Receiver } from './types';

const SEVERITY_WIDTH = 8;

/** One readable line per alert state change on stdout; with json, one JSON object per line. */
export class ConsoleReceiver implements Receiver {
  constructor(
    readonly name: string,
    private readonly opts: { json: boolean; out?: Writable; color?: boolean },
  ) {}

  async notify(alerts: readonly Alert[]): Promise<void> {
    if (alerts.length === 0) return;
    const out = this.opts.out ?? process.stdout;
    let text = '';
    for (const a of alerts) text += (this.opts.json ? JSON.stringify(toJson(a)) : this.line(a)) + '\n';
    out.write(text);
  }

  private line(a: Alert): string {
    const t = new Date(a.status === 'resolved' && a.endsAt !== undefined ? a.endsAt : a.startsAt).toISOString().replace('.000Z', 'Z');
    const status = a.status === 'firing' ? 'FIRING  ' : 'RESOLVED';
    const colored = this.opts.color ? colorize(status, a) : status;
    return `${t} ${colored} ${a.severity.padEnd(SEVERITY_WIDTH)} ${a.stream}/${a.detector} ${a.summary} (score ${a.score.toFixed(2)})`;
  }

  async close(): Promise<void> {}
}

function colorize(status: string, a: Alert): string {
  if (a.status === 'resolved') return `\x1b[32m${status}\x1b[0m`;
  return a.severity === 'critical' ? `\x1b[31;1m${status}\x1b[0m` : `\x1b[33m${status}\x1b[0m`;
}

/** The JSON shape of an alert line (stable for scripts). */
export function toJson(a: Alert): Record<string, unknown> {
  return {
    id: a.id,
    status: a.status,
    stream: a.stream,
    key: a.key,
    detector: a.detector,
    severity: a.severity,
    startsAt: new Date(a.startsAt).toISOString(),
    ...(a.endsAt !== undefined ? { endsAt: new Date(a.endsAt).toISOString() } : {}),
    score: Math.round(a.score * 1000) / 1000,
    summary: a.summary,
    labels: a.labels,
    evidence: a.evidence,
    fingerprint: a.fingerprint,
  };
}
