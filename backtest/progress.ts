import { SingleBar } from 'cli-progress';

/** Progress over bytes of input, shown only on a terminal (never in CI logs or when piped). */
export interface Progress {
  update(bytesDone: number, rows: number, file: string): void;
  stop(): void;
}

const NOOP: Progress = { update() {}, stop() {} };

export function createProgress(totalBytes: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY || process.env.CI || totalBytes < 1_000_000) return NOOP;
  const started = Date.now();
  const bar = new SingleBar({
    stream,
    format: 'backtest |{bar}| {percentage}% | {rows} rows | {rate} rows/min | {file}',
    hideCursor: true,
    clearOnComplete: true,
    etaBuffer: 50,
    fps: 5,
  });
  bar.start(totalBytes, 0, { rows: '0', rate: '-', file: '' });
  return {
    update(bytesDone, rows, file) {
      const min = (Date.now() - started) / 60_000;
      bar.update(Math.min(bytesDone, totalBytes), {
        rows: rows.toLocaleString('en-US'),
        rate: min > 0 ? Math.round(rows / min).toLocaleString('en-US') : '-',
        file,
      });
    },
    stop() {
      bar.stop();
    },
  };
}
