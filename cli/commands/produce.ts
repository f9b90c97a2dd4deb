import { Option, type Command } from 'commander';
import { loadConfigFile } from '../../config/load';
import { createRootLogger } from '../../kernel/logger';
import { FlowwatchError } from '../../kernel/errors';
import { createDecoder } from '../../ingest/decode/decoder';
import { Partitioners } from 'kafkajs';
import { createKafka } from '../../ingest/sources/kafka-source';
import { ensureTopics } from '../../ingest/kafka-topics';
import { kafkaConnection } from '../../ingest/kafka-env';
import type { FlowName } from '../../ingest/simulator';
import { produceHistory, type ProduceTarget } from '../produce-history';
import { durationOption, intOption } from '../options';

interface ProduceFlags {
  config: string;
  seed: number;
  history: number;
  follow?: boolean;
  scale: number;
  partitions: number;
}

/**
 * Writes the simulator's records to the Kafka topics a config's streams read, keyed by entity
 * so one key always lands on one partition (its state lives with the partition).
 */
export function registerProduce(program: Command): void {
  program
    .command('produce')
    .description("write the simulator's flows to Kafka (the topics of the config's kafka streams), for demos through a real broker")
    .option('-c, --config <file>', 'config whose kafka streams name the topics', 'examples/kafka.yaml')
    .option('--seed <n>', 'simulator seed', intOption, 1)
    .addOption(
      new Option('--history <d>', 'simulate this much history ending now, produced as fast as the broker takes it')
        .argParser(durationOption)
        .default(3_600_000, '1h'),
    )
    .option('--follow', 'after the history, keep producing live (real time) until Ctrl-C')
    .option('--scale <x>', 'entity count multiplier', parseFloat, 1)
    .option('--partitions <n>', 'partitions for topics that do not exist yet', intOption, 4)
    .action(async (flags: ProduceFlags) => {
      const log = createRootLogger();
      const config = loadConfigFile(flags.config);
      const targets = new Map<string, ProduceTarget>();
      for (const [name, s] of Object.entries(config.streams)) {
        if (s.source.type === 'kafka') targets.set(name, { topic: s.source.topics[0], decoder: createDecoder(name, s.mapping) });
      }
      const flows = [...targets.keys()].filter((n): n is FlowName => n === 'people' || n === 'goods' || n === 'funds');
      if (flows.length === 0)
        throw new FlowwatchError('FW_USAGE', `${flags.config} has no kafka stream named people, goods or funds to produce into`);
      const kafka = createKafka(kafkaConnection(config), log.child({ component: 'producer' }));
      const created = await ensureTopics(
        kafka,
        [...targets.values()].map((x) => x.topic),
        flags.partitions,
      );
      if (created.length > 0)
        process.stderr.write(`flowwatch: created topics ${created.join(', ')} (${flags.partitions} partitions each)\n`);
      // Keyed by entity: murmur2 partitioning (Java-compatible), so one key always lands on one partition.
      const producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
      await producer.connect();
      // Event times end at "now", so live detectors (deadman against the wall clock) see a current feed.
      const start = Math.floor((Date.now() - flags.history) / 60_000) * 60_000;
      let stopped = false;
      const stop = () => (stopped = true);
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      const sent = await produceHistory({
        producer,
        targets,
        flows,
        seed: flags.seed,
        scale: flags.scale,
        start,
        follow: flags.follow,
        stopped: () => stopped,
      });
      await producer.disconnect();
      process.stderr.write(
        `flowwatch: produced ${sent} records to ${[...new Set([...targets.values()].map((x) => x.topic))].join(', ')}\n`,
      );
      log.flush();
    });
}
