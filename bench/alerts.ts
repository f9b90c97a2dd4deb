import * as fs from 'node:fs';
import type { AlertDispatcher } from '../alerts/dispatch';
import type { Alert } from '../kernel/types';

/** Alerts straight to a JSONL file, one write per batch (the `--alerting direct` mode). */
export class JsonlDispatcher implements AlertDispatcher {
  private readonly out: fs.WriteStream;
  constructor(file: string) {
    this.out = fs.createWriteStream(file, { flags: 'a' });
  }
  async dispatch(alerts: readonly Alert[]): Promise<void> {
    if (alerts.length === 0) return;
    let text = '';
    for (const a of alerts) text += JSON.stringify(a) + '\n';
    await new Promise<void>((resolve, reject) => this.out.write(text, (err) => (err ? reject(err) : resolve())));
  }
  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.out.end(resolve));
  }
}
