import type { Command } from 'commander';
import { detectorFactories } from '../../detectors/registry';

export function registerDetectors(program: Command): void {
  program
    .command('detectors')
    .description('list the detector types a config can use')
    .action(() => {
      const width = Math.max(...detectorFactories.map((f) => f.type.length));
      for (const f of detectorFactories) process.stdout.write(`${f.type.padEnd(width)}  ${f.description}\n`);
      process.stdout.write('\nParameters and defaults: detectors/README.md\n');
    });
}
