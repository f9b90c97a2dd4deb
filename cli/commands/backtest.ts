import type { Command } from 'commander';
import { createRootLogger } from '../../kernel/logger';
import { runBacktest, type BacktestOptions } from '../../backtest/backtest';

export function registerBacktest(program: Command): void {
  program
    .command('backtest')
    .description(
      'replay history through the detectors and the alert policy: per row an anomaly score and whether an alert fires; scores against labelled windows',
    )
    .requiredOption('-i, --input <path>', 'a CSV (timestamp,value) or JSONL file, or a directory of them (searched recursively)')
    .requiredOption('-o, --out <path>', 'output CSV (single input) or directory mirroring the input tree')
    .option('-c, --config <file>', 'detector config (the run config format); default: the built-in univariate profile')
    .option(
      '--stream <name>',
      'stream of --config that judges timestamp/value rows (default: its only stream); raw {"stream","payload"} records go to the stream they name',
    )
    .option('--measurement <name>', 'measurement a CSV value becomes (default: "value", else the stream\'s first)')
    .option('-l, --labels <file>', 'labelled windows, NAB combined_windows.json format: {"dir/file.csv": [[start, end], ...]}')
    .option('-r, --report <file.html>', 'write a self-contained HTML report (series, score, alerts, windows, evidence)')
    .option('-a, --alerts <file.jsonl>', 'write every alert state change (firing, resolved) as JSON lines, in order; times in epoch ms')
    .addHelpText(
      'after',
      '\nOutput per input row: timestamp,value,anomaly_score,alert (same rows, same order).\n' +
        "Rows go through the live admission: duplicate timestamps and out-of-order rows within the stream's\n" +
        'lateness are judged; exact duplicates and late rows are dropped but still get an output row (their\n' +
        "key's latest score and alert state); a series whose clock jumps back beyond the lateness is judged\n" +
        "on a continued clock (output keeps the file's timestamps). One line per file on stderr says what was done.\n" +
        'With --labels: precision, recall, mean detection delay and the NAB early-detection score (docs/backtest.md).\n' +
        'Structurally bad rows (missing columns, bad values or timestamps, bad JSON) are reported as FILE:LINE\n' +
        'on stderr; that file gets no output, the others go on. Exit code 0 when every file was judged, 1 if any\n' +
        'file failed or the labels have problems, 2 for an invalid --config.\n',
    )
    .action(async (flags: BacktestOptions) => {
      const log = createRootLogger({ level: process.env.FLOWWATCH_LOG_LEVEL ?? 'warn' });
      try {
        const r = await runBacktest(flags, {
          log,
          out: (line) => process.stdout.write(line + '\n'),
          err: (line) => process.stderr.write(`flowwatch: ${line}\n`),
          progressStream: process.stderr,
        });
        process.exitCode = r.exitCode;
      } finally {
        log.flush();
      }
    });
}
