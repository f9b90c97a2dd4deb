import { Option, type Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { FlowSimulator, type FlowName } from '../../ingest/simulator';
import { defaultSimStart } from '../../ingest/sources/simulator-source';
import { durationOption, intOption } from '../options';

const FLOWS: FlowName[] = ['people', 'goods', 'funds'];

export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description('write simulated records as JSON lines ({"stream","payload"}) to stdout, for replay or Kafka')
    .option('--flows <list>', 'comma-separated flows', 'people,goods,funds')
    .option('--seed <n>', 'random seed (same seed, same records)', intOption, 1)
    .addOption(new Option('--duration <d>', 'simulated time span').argParser(durationOption).default(3_600_000, '1h'))
    .option('--start <iso>', 'simulated start time (ISO 8601); default today 06:30 UTC')
    .option('--scale <x>', 'entity count multiplier', parseFloat, 1)
    .option('--labels <file>', 'also write the ground-truth anomaly labels (JSON) to this file')
    .action((opts: { flows: string; seed: number; duration: number; start?: string; scale: number; labels?: string }) => {
      const flows = opts.flows.split(',').map((f) => f.trim()) as FlowName[];
      const bad = flows.filter((f) => !FLOWS.includes(f));
      if (bad.length > 0) throw new Error(`unknown flow ${bad.join(', ')}; expected some of ${FLOWS.join(', ')}`);
      const start = opts.start ? Date.parse(opts.start) : defaultSimStart();
      if (!Number.isFinite(start)) throw new Error(`--start: expected an ISO 8601 time, got "${opts.start}"`);
      const sim = new FlowSimulator({ seed: opts.seed, start, flows, scale: opts.scale });
      const end = start + opts.duration;
      for (let t = start; t < end;) {
        const until = Math.min(t + 3_600_000, end);
        const recs = sim.advance(until);
        let text = '';
        for (const r of recs) text += JSON.stringify({ stream: r.stream, payload: r.payload }) + '\n';
        process.stdout.write(text);
        t = until;
      }
      if (opts.labels) writeFileSync(opts.labels, JSON.stringify(sim.labels(), null, 2) + '\n');
    });
}
