import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import * as path from 'node:path';
import type { Alert } from '../../kernel/types';
import type { Receiver } from './types';
import { toJson } from './console';
import type { NotifyContext } from '../notification';

/** Appends one JSON object per alert state change to a file. */
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
    for (const a of alerts) text += JSON.stringify(reason && reason !== 'new' ? { ...toJson(a), reason } : toJson(a)) + '\n';
    const s = this.stream;
    await new Promise<void>((resolve, reject) => s.write(text, (err) => (err ? reject(err) : resolve())));
  }

  async close(): Promise<void> {
    const s = this.stream;
    if (s) await new Promise<void>((resolve) => s.end(resolve));
  }
}
