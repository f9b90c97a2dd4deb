import { downAll, stopRedis } from './support/servers';

export default async function globalTeardown(): Promise<void> {
  // FW_DRILLS_KEEP_SERVERS=1 leaves them up for a look (or the next run) after the suite.
  if (process.env.FW_DRILLS_KEEP_SERVERS === '1') return;
  await stopRedis();
  downAll();
}
