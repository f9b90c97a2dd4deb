/**
 * The drills' own servers (test/drills/support/servers.ts): private Kafka, Redis and InfluxDB,
 * because drills kill, pause and wipe them. Also fixes the recording's start for the whole run, so
 * every drill file replays the same records as the clean run they are compared with.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { unalignedStart } from '../support/recorded-stream';
import { drillEnv, startRedis, stopRedis, up } from './support/servers';

export default async function globalSetup(): Promise<void> {
  const t0 = Date.now();
  // Workers run dist/ (bin/flowwatch.js): build once for the whole suite.
  execFileSync('npm', ['run', 'build'], { cwd: path.join(__dirname, '..', '..'), stdio: ['ignore', 'ignore', 'inherit'] });
  await stopRedis(); // one left by an interrupted run
  await Promise.all([up('kafka'), up('influxdb'), startRedis({ aof: true, wipe: true })]);
  Object.assign(process.env, drillEnv());
  // 80 minutes back: the hour of the recording is 20–80 minutes behind the clock, as in the event-time test.
  process.env.FW_DRILL_START = String(unalignedStart(Date.now(), 80));
  process.stderr.write(
    `drills: private Kafka, Redis and InfluxDB up in ${((Date.now() - t0) / 1000).toFixed(1)} s (${process.env.KAFKA_BROKERS}, ${process.env.REDIS_URL}, ${process.env.INFLUX_URL})\n`,
  );
}
