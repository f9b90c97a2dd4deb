import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import type { Alert } from '../../kernel/types';
import { receiverName, type Receiver, type ReceiverFactory } from './types';
import { toJson } from './console';
import type { NotifyContext } from '../notification';

export const jsonlReceiverSchema = z
  .object({ type: z.literal('jsonl'), name: receiverName.default('jsonl'), path: z.string().min(1) })
  .strict();
export type JsonlReceiverConfig = z.output<typeof jsonlReceiverSchema>;

/** Appends one JSON object per alert state change to a file (with `reason` unless new, and `incident` for an incident's notification). */
export class JsonlFileReceiver implements Receiver {
  private stream?: WriteStream;
  constructor(
    readonly name: string,
    private readonly file: string,
  ) {}

  async notify(alerts: readonly Alert[], ctx?: NotifyContext): Promise<void> {
    if (alerts.length === 0) return;
    if (!this.stream) {
      mkdirSync(path.dirname(path.resolve(this.file)), { recursive: true });
      this.stream = createWriteStream(this.file, { flags: 'a' });
    }
    let text = '';
    const reason = ctx?.notification.reason;
    // An incident notification (a department's desk) says which incident and what changed in it.
    const extra = {
      ...(reason && reason !== 'new' ? { reason } : {}),
      ...(ctx?.notification.incident ? { incident: ctx.notification.incident } : {}),
    };
    for (const a of alerts) text += JSON.stringify({ ...toJson(a), ...extra }) + '\n';
    const s = this.stream;
    await new Promise<void>((resolve, reject) => s.write(text, (err) => (err ? reject(err) : resolve())));
  }

  async close(): Promise<void> {
    const s = this.stream;
    if (s) await new Promise<void>((resolve) => s.end(resolve));
  }
}

export const jsonl: ReceiverFactory<JsonlReceiverConfig> = {
  type: 'jsonl',
  description: 'Appends one JSON object per alert state change to a file.',
  schema: jsonlReceiverSchema,
  create: (c) => new JsonlFileReceiver(c.name, c.path),
};
