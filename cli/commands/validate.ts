import type { Command } from 'commander';
import { loadConfigFile } from '../../config/load';

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('check a config file (YAML or JSON) without running it; prints one line per problem')
    .requiredOption('-c, --config <file>', 'config file to check')
    .action((opts: { config: string }) => {
      const config = loadConfigFile(opts.config);
      const streams = Object.entries(config.streams);
      const detectors = streams.reduce((n, [, s]) => n + s.detectors.length, 0);
      process.stdout.write(
        `${opts.config}: OK (${streams.length} stream${streams.length === 1 ? '' : 's'}: ${streams.map(([n]) => n).join(', ')}; ${detectors} detectors)\n`,
      );
    });
}
