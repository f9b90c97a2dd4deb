import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { FlowwatchError } from '../../kernel/errors';
import type { RawRecord } from '../../kernel/types';
import type { Source, SourceBatch } from './types';

/**
 * Replays a JSONL or CSV file for one stream, a batch of lines at a time. Blank lines are skipped;
 * a CSV header equal to the configured columns is skipped. Every other line becomes a record
 * (bad ones are rejected by the decoder with file:line in the dead letter).
 */
export class FileSource implements Source {
  readonly replay = true;
  readonly streams: readonly string[];
  readonly name: string;

  constructor(
    private readonly stream: string,
    private readonly file: string,
    private readonly opts: { batchSize?: number; csvHeader?: string } = {},
  ) {
    this.streams = [stream];
    this.name = `file:${file}`;
  }

  async *batches(signal: AbortSignal): AsyncIterable<SourceBatch> {
    const input = createReadStream(this.file, { encoding: 'utf8' });
    const opened = new Promise<void>((resolve, reject) => {
      input.once('open', () => resolve());
      input.once('error', (err) =>
        reject(
          new FlowwatchError(
            'FW_SOURCE',
            `cannot read ${this.file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : err.message}`,
            { cause: err },
          ),
        ),
      );
    });
    await opened;
    const lines = createInterface({ input, crlfDelay: Infinity });
    const size = this.opts.batchSize ?? 1000;
    let batch: RawRecord[] = [];
    let lineNo = 0;
    try {
      for await (const line of lines) {
        lineNo++;
        if (signal.aborted) break;
        if (line.trim() === '') continue;
        if (lineNo === 1 && this.opts.csvHeader !== undefined && line.replace(/\s/g, '') === this.opts.csvHeader) continue;
        batch.push({ stream: this.stream, payload: line, source: `${this.file}:${lineNo}` });
        if (batch.length >= size) {
          yield { records: batch, position: lineNo };
          batch = [];
        }
      }
      if (batch.length > 0) yield { records: batch, position: lineNo };
    } finally {
      lines.close();
      input.destroy();
    }
  }
}
