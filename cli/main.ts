import { Command, CommanderError } from 'commander';
import { isFlowwatchError } from '../kernel/errors';
import { registerRun } from './commands/run';
import { registerValidate } from './commands/validate';
import { registerSimulate } from './commands/simulate';
import { registerDetectors } from './commands/detectors';
import { registerProduce } from './commands/produce';
import { registerBacktest } from './commands/backtest';
import { registerBench } from './commands/bench';
import { registerAlerts } from './commands/alerts';
import { registerIncidents } from './commands/incidents';
import { registerConsole } from './commands/console';

/** package.json sits two folders up from dist/cli, one up from cli/ (tests run the sources). */
function packageVersion(): string {
  try {
    return require('../../package.json').version as string;
  } catch {
    // not at this depth
  }
  try {
    return require('../package.json').version as string;
  } catch {
    return 'unknown';
  }
}

export function buildProgram(): Command {
  const program = new Command('flowwatch')
    .description('Real-time flow monitoring and early warning for people, goods and funds flows.')
    .version(packageVersion())
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      '\nStart here:\n  flowwatch run                      embedded demo: simulator → detectors → console alerts\n  flowwatch validate --config FILE   check a config without running it\n',
    );
  // Before the commands are added: they inherit it, so their usage errors reach main()'s exit codes.
  program.exitOverride();
  registerRun(program);
  registerValidate(program);
  registerSimulate(program);
  registerDetectors(program);
  registerProduce(program);
  registerBacktest(program);
  registerBench(program);
  registerAlerts(program);
  registerIncidents(program);
  registerConsole(program);
  return program;
}

/** Exit code of a mistake in how flowwatch was asked to run (config, flags, environment). */
const EXIT_USAGE = 2;
const USAGE_CODES = new Set<string>(['FW_CONFIG_INVALID', 'FW_CONFIG_PARSE', 'FW_CONFIG_READ', 'FW_USAGE']);

/** Entry point used by bin/flowwatch.js. Errors print one clear message, never a stack for user mistakes. */
export function main(argv: string[]): void {
  // `flowwatch run --json | head`: a closed pipe ends the program quietly, as Unix tools do.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  const program = buildProgram();
  program.exitOverride();
  program.parseAsync(argv).catch((err: unknown) => {
    if (err instanceof CommanderError) {
      // --help and --version end with 0; a usage mistake (unknown option, missing argument) is 2,
      // like a bad config: the exit-code table in the README and `run --help`.
      process.exitCode = err.exitCode === 0 ? 0 : EXIT_USAGE;
      return;
    }
    if (isFlowwatchError(err)) {
      process.stderr.write(`flowwatch: ${err.message}\n`);
      process.exitCode = USAGE_CODES.has(err.code) ? EXIT_USAGE : 1;
      return;
    }
    process.stderr.write(`flowwatch: unexpected error: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 1;
  });
}
