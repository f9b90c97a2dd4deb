import type { Writable } from 'node:stream';
import { z } from 'zod';
import type { Alert } from '../../kernel/types';
import { receiverName, type Receiver, type ReceiverFactory } from './types';
import { alertJson, type NotifiedAlert, type NotifyContext } from '../notification';

export const consoleReceiverSchema = z
  .object({ type: z.literal('console'), name: receiverName.default('console'), json: z.boolean().optional() })
  .strict();
export type ConsoleReceiverConfig = z.output<typeof consoleReceiverSchema>;

const SEVERITY_WIDTH = 8;

/** One readable line per alert state change on stdout; with json, one JSON object per line. */
export class ConsoleReceiver implements Receiver {
  constructor(
    readonly name: string,
    private readonly opts: { json: boolean; out?: Writable; color?: boolean },
  ) {}

  async notify(alerts: readonly Alert[], ctx?: NotifyContext): Promise<void> {
    if (alerts.length === 0) return;
    const out = this.opts.out ?? process.stdout;
    const reason = ctx?.notification.reason;
    let text = '';
    for (const a of alerts) {
      text +=
        (this.opts.json ? JSON.stringify(reason && reason !== 'new' ? { ...toJson(a), reason } : toJson(a)) : this.line(a, reason)) + '\n';
    }
    out.write(text);
  }

  private line(a: NotifiedAlert, reason?: string): string {
    const t = new Date(a.status === 'resolved' && a.endsAt !== undefined ? a.endsAt : a.startsAt).toISOString().replace('.000Z', 'Z');
    const status = a.flapping
      ? 'FLAPPING'
      : a.status === 'firing'
        ? reason === 'repeat'
          ? 'STILL   '
          : reason === 'escalation'
            ? 'ESCALATE'
            : 'FIRING  '
        : 'RESOLVED';
    const colored = this.opts.color ? colorize(status, a) : status;
    const ack = a.ack ? ` [acked by ${a.ack.by}]` : '';
    return `${t} ${colored} ${a.severity.padEnd(SEVERITY_WIDTH)} ${a.stream}/${a.detector} ${a.summary} (score ${a.score.toFixed(2)})${ack}`;
  }

  async close(): Promise<void> {}
}

function colorize(status: string, a: Alert): string {
  if (a.status === 'resolved') return `\x1b[32m${status}\x1b[0m`;
  return a.severity === 'critical' ? `\x1b[31;1m${status}\x1b[0m` : `\x1b[33m${status}\x1b[0m`;
}

/** The JSON shape of an alert line (stable for scripts). */
export function toJson(a: Alert): Record<string, unknown> {
  return alertJson(a);
}

export const consoleReceiver: ReceiverFactory<ConsoleReceiverConfig> = {
  type: 'console',
  description: 'One readable line per alert state change on stdout (JSON lines with json: true or --json).',
  schema: consoleReceiverSchema,
  create: (c, ctx) => new ConsoleReceiver(c.name, { json: c.json ?? ctx.json ?? false, color: ctx.color }),
};
