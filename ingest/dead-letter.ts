import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import * as path from 'node:path';
import type { Reject } from '../core/types';

/** Where records that could not become events go, with their reason and original payload. */
export interface DeadLetterOutput {
  write(rejects: readonly Reject[]): Promise<void>;
  close(): Promise<void>;
}

function line(r: Reject): string {
  return JSON.stringify({ at: new Date(r.at).toISOString(), stream: r.stream, reason: r.reason, detail: r.detail, source: r.source, raw: r.raw }) + '\n';
}

/** JSONL file, opened on the first reject so clean runs leave no empty file behind. */
export class FileDeadLetter implements DeadLetterOutput {
  private out?: WriteStream;
  constructor(readonly file: string) {}
  async write(rejects: readonly Reject[]): Promise<void> {
    if (rejects.length === 0) return;
    if (!this.out) {
      mkdirSync(path.dirname(path.resolve(this.file)), { recursive: true });
      this.out = createWriteStream(this.file, { flags: 'a' });
    }
    const out = this.out;
    await new Promise<void>((resolve, reject) => out.write(rejects.map(line).join(''), (err) => (err ? reject(err) : resolve())));
  }
  async close(): Promise<void> {
    const out = this.out;
    if (out) await new Promise<void>((resolve) => out.end(resolve));
  }
}

/** JSON lines on stderr, prefixed so they stand apart from logs. */
export class StderrDeadLetter implements DeadLetterOutput {
  async write(rejects: readonly Reject[]): Promise<void> {
    if (rejects.length > 0) process.stderr.write(rejects.map((r) => 'dead-letter ' + line(r)).join(''));
  }
  async close(): Promise<void> {}
}

/** Keeps rejects in memory: tests and backtests read them back. */
export class MemoryDeadLetter implements DeadLetterOutput {
  readonly rejects: Reject[] = [];
  async write(rejects: readonly Reject[]): Promise<void> {
    this.rejects.push(...rejects);
  }
  async close(): Promise<void> {}
}
