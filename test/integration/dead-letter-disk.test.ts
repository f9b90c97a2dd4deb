/**
 * The dead-letter file on a disk that refuses writes — a read-only mount (EROFS), then a 64 KiB
 * tmpfs that fills up (ENOSPC) — with a real worker (`flowwatch run`), Kafka and Redis. The worker
 * stays up and holds (nothing acknowledged past the batch it cannot dead-letter), logs a clear
 * error, and once the mount is writable again, or has room, goes on by itself: every record is
 * applied, and every reject is in the file exactly once.
 *
 * Needs root (mount); skipped otherwise.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import Redis from 'ioredis';
import { createTopics, testKafka, uniqueName, waitFor } from '../support/kafka';
import { killAllWorkers, Worker, type Mode } from '../support/workers';

jest.setTimeout(300_000);

const ROOT = path.join(__dirname, '..', '..');
const PARTITIONS = 2;
const RECORDS = 6000;
/** Every 10th record is not JSON: 600 rejects, ~100 KiB of dead letters — more than 64 KiB holds. */
const isBad = (i: number) => i % 10 === 7;

const mount = (...args: string[]) => spawnSync('mount', args, { encoding: 'utf8' });
const canMount = process.getuid?.() === 0;
const maybe = canMount ? describe : describe.skip;

maybe('dead-letter file on a disk that refuses writes', () => {
  let mnt = '';
  let redis: Redis;

  beforeAll(() => {
    const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
    expect(build.status).toBe(0);
    redis = new Redis(process.env.REDIS_URL!);
  }, 180_000);

  afterAll(async () => {
    await killAllWorkers();
    if (mnt) spawnSync('umount', [mnt]);
    redis?.disconnect();
  });

  it('holds on EROFS and ENOSPC, logs why, and finishes by itself once the disk takes writes again', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fw-dl-disk-'));
    mnt = path.join(dir, 'mnt');
    mkdirSync(mnt);
    expect(mount('-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt).status).toBe(0);
    mkdirSync(path.join(mnt, 'dl'));
    // Read-only from the start: the first reject's write fails with EROFS.
    expect(mount('-o', 'remount,ro', mnt).status).toBe(0);

    const topic = uniqueName('it-dl-disk');
    const group = `${topic}-group`;
    await createTopics([topic], PARTITIONS);
    const t0 = Date.now() - 60 * 60_000;
    const bad: string[] = [];
    const producer = testKafka().producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    for (let start = 0; start < RECORDS; start += 1000) {
      const messages = [];
      for (let i = start; i < start + 1000; i++) {
        const key = `k${i % 40}`;
        const value = isBad(i) ? `not json #${i}` : JSON.stringify({ k: key, v: i % 13, t: t0 + i * 100 });
        if (isBad(i)) bad.push(value);
        messages.push({ key, value, partition: i % PARTITIONS });
      }
      await producer.send({ topic, messages });
    }
    await producer.disconnect();

    const deadLetterFile = path.join(mnt, 'dl', 'dead.jsonl');
    const configFile = path.join(dir, 'worker.yaml');
    writeFileSync(
      configFile,
      `
kafka: { group_id: ${group}, from_beginning: true, max_batch_bytes: 16384, session_timeout: 6s }
state: { backend: redis, prefix: ${group} }
receivers: [{ type: jsonl, path: ${JSON.stringify(path.join(dir, 'alerts.jsonl'))} }]
dead_letter: { type: file, path: ${JSON.stringify(deadLetterFile)} }
streams:
  s:
    source: { type: kafka, topics: [${topic}] }
    mapping: { key: k, time: { field: t, format: epoch_ms }, measurements: [v] }
    lateness: 1d
    detectors: [{ type: threshold, measurement: v, above: 1000 }]
`,
    );
    const mode: Mode = { name: 'dl-disk', dir, topics: { people: topic, goods: topic, funds: topic }, group, prefix: group };
    const applied = async () => {
      const v = await redis.mget(...Array.from({ length: PARTITIONS }, (_, p) => `${group}:{${topic}:${p}}:pos`));
      return v.reduce((n, x) => n + (x === null ? 0 : Number(x) + 1), 0);
    };
    const logText = () => (existsSync(worker.log) ? readFileSync(worker.log, 'utf8') : '');
    const worker = new Worker(mode, 'w1', configFile);

    // 1. Read-only: the worker holds and says why; it does not exit.
    await waitFor(
      'a dead-letter write failing with EROFS',
      () => /dead-letter write failed; holding the batch[\s\S]*EROFS/.test(logText()) || undefined,
      120_000,
    );
    expect(worker.child.exitCode).toBeNull();
    expect(await applied()).toBeLessThan(RECORDS);
    expect(logText()).toMatch(/FW_DEAD_LETTER/);

    // 2. Writable but tiny: it goes on until the disk is full, then holds again (ENOSPC).
    expect(mount('-o', 'remount,rw', mnt).status).toBe(0);
    await waitFor('a dead-letter write failing with ENOSPC', () => /ENOSPC/.test(logText()) || undefined, 120_000);
    expect(worker.child.exitCode).toBeNull();
    const whileFull = await applied();
    expect(whileFull).toBeLessThan(RECORDS);

    // 3. Room again: it finishes by itself.
    expect(mount('-o', 'remount,size=4m', mnt).status).toBe(0);
    await waitFor(`all ${RECORDS} records applied`, async () => ((await applied()) >= RECORDS ? true : undefined), 120_000, 200);
    await worker.stop();
    expect(logText()).toMatch(/dead-letter write succeeded again/);
    expect(logText()).not.toMatch(/Unhandled 'error' event/);

    // Every reject exactly once, whole lines only (a failed write was cut back, not left torn).
    const lines = readFileSync(deadLetterFile, 'utf8')
      .split('\n')
      .filter((l) => l !== '');
    const raws = lines.map((l) => JSON.parse(l).raw as string);
    expect(raws.length).toBe(bad.length);
    expect(new Set(raws)).toEqual(new Set(bad));
  });
});
