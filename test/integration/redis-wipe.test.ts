/**
 * Redis durability (issue 14, part 3), against a real Redis restarted under a running worker
 * (`node bin/flowwatch.js run`), on the recorded stream of the event-time tests:
 *   - the persistence check reads the real settings (AOF on as scripts/services runs it; off after
 *     CONFIG SET appendonly no) and warns when state is not persisted;
 *   - a clean run gives the reference set of alert changes;
 *   - Redis restarted WITHOUT persistence mid-stream (SHUTDOWN NOSAVE, AOF removed, started again):
 *     the worker finds the wipe by the store epoch, logs it at error, re-seeds the store from
 *     memory, and every change of the clean run is notified (a firing re-sent after the loss is
 *     allowed and must be marked);
 *   - Redis restarted WITH AOF mid-stream (SHUTDOWN, started again): nothing to recover — every
 *     change notified exactly once, the epoch unchanged, every record applied once.
 * Changes later than 10 minutes before the end of the recording depend on the idle rule (wall
 * clock) and are not compared (see event-time-invariant.test.ts).
 * Needs the Redis of scripts/services (it is restarted); skipped against other servers.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import Redis from 'ioredis';
import pino from 'pino';
import { parse } from 'yaml';
import { checkRedisPersistence } from '../../state/redis-persistence';
import { recordStream, unalignedStart, type Recording } from '../support/recorded-stream';
import { waitFor } from '../support/kafka';
import {
  appliedRecords,
  changeKey,
  changeTime,
  createModeTopics,
  dropModes,
  killAllWorkers,
  newMode,
  produceAll,
  producePaced,
  readJsonLines,
  toChange,
  waitForApplied,
  waitForDelivery,
  waitForGroup,
  Worker,
  writeWorkerConfig,
  type AlertChange,
  type Mode,
} from '../support/workers';

jest.setTimeout(180_000);

const ROOT = path.join(__dirname, '..', '..');
const MIN = 60_000;
const PARTITIONS = 4;
const FIXTURE = parse(readFileSync(path.join(ROOT, 'test/fixtures/event-time/streams.yaml'), 'utf8')) as {
  streams: Record<string, Record<string, unknown>>;
};
const SVC_DIR = process.env.FW_SERVICES_DIR ?? path.join(ROOT, '.services');
const OWN_REDIS = existsSync(path.join(SVC_DIR, 'redis', 'redis.pid'));
const itOwn = OWN_REDIS ? it : it.skip;

let redis: Redis;
let root: string;
let rec: Recording;
let cutoff: number;
let reference: AlertChange[] = [];
const modes: Mode[] = [];
/** Measured numbers, printed at the end. */
const numbers: Record<string, unknown> = {};

beforeAll(() => {
  const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
  expect(build.status).toBe(0);
  redis = new Redis(process.env.REDIS_URL!);
  root = mkdtempSync(path.join(tmpdir(), 'fw-redis-wipe-'));
  rec = recordStream({ seed: 14, start: unalignedStart(Date.now(), 80), partitions: PARTITIONS });
  cutoff = rec.end - 10 * MIN;
}, 180_000);

afterAll(async () => {
  await killAllWorkers();
  if (redis) {
    await dropModes(redis, modes).catch(() => undefined);
    await redis.quit();
  }
  console.log(`redis-wipe numbers: ${JSON.stringify(numbers, null, 2)}`);
});

function openMode(name: string): Mode {
  const m = newMode(name, root);
  modes.push(m);
  return m;
}

const upTo = (changes: readonly AlertChange[]) => changes.filter((c) => changeTime(c) <= cutoff);
const keysOf = (changes: readonly AlertChange[]) => [...new Set(upTo(changes).map(changeKey))].sort();

/** Stops the Redis of scripts/services and starts it again with the same command line; `wipe` removes its AOF in between. */
async function restartRedis(wipe: boolean): Promise<void> {
  const port = new URL(process.env.REDIS_URL!).port;
  const down = spawnSync('redis-cli', ['-p', port, 'shutdown', ...(wipe ? ['nosave'] : [])], { encoding: 'utf8' });
  expect(down.status).toBe(0);
  await waitFor(
    'redis to stop',
    async () => (spawnSync('redis-cli', ['-p', port, 'ping'], { encoding: 'utf8' }).stdout.trim() === 'PONG' ? undefined : true),
    30_000,
    50,
  );
  if (wipe) rmSync(path.join(SVC_DIR, 'redis', 'appendonlydir'), { recursive: true, force: true });
  const up = spawnSync(path.join(ROOT, 'scripts', 'services'), ['up', 'redis'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, FW_SERVICES_DIR: SVC_DIR },
  });
  if (up.status !== 0) throw new Error(`scripts/services up redis failed:\n${up.stderr}`);
}

async function finish(mode: Mode, workers: Worker[]): Promise<void> {
  await waitForApplied(redis, mode, PARTITIONS, rec.records.length);
  expect(await appliedRecords(redis, mode, PARTITIONS)).toBe(rec.records.length);
  await waitForDelivery(redis, mode);
  for (const w of workers) await w.stop();
}

/** Every partition's stored rows (watermarks included), by partition number: modes differ only in topic names. */
async function storedState(mode: Mode): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [stream, topic] of Object.entries(mode.topics)) {
    for (let p = 0; p < PARTITIONS; p++) {
      // Bytes as hex: compared byte for byte (the binary form of state/codec.ts).
      const rows = await redis.hgetallBuffer(`${mode.prefix}:{${topic}:${p}}:state`);
      for (const [id, bytes] of Object.entries(rows)) out[`${stream}:${p}:${id}`] = bytes.toString('hex');
    }
  }
  return out;
}

/** Rows that differ between two stored states (ids only). */
function stateDiff(a: Record<string, string>, b: Record<string, string>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => a[k] !== b[k]).sort();
}

let referenceState: Record<string, string> = {};

/** The worker's pino lines (JSON on stderr). */
function logLines(w: Worker): Array<{ level: number; msg: string } & Record<string, unknown>> {
  return readFileSync(w.log, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));
}

/** Paced into one worker, Redis restarted once ~40 % is applied. */
async function restartedMidStream(name: string, wipe: boolean) {
  const mode = openMode(name);
  await createModeTopics(mode, PARTITIONS);
  const w = new Worker(mode, 'w1', writeWorkerConfig(mode, FIXTURE, 'w1'));
  await waitForGroup(mode, 1);
  const producing = producePaced(mode, rec.records, 20_000);
  await waitForApplied(redis, mode, PARTITIONS, Math.round(rec.records.length * 0.4));
  const epochBefore = await redis.get(`${mode.prefix}:epoch`);
  const atRestart = await appliedRecords(redis, mode, PARTITIONS);
  await restartRedis(wipe);
  await producing;
  await finish(mode, [w]);
  expect(atRestart).toBeLessThan(rec.records.length); // really mid-stream
  const lines = readJsonLines(mode, 'alerts');
  const dead = readJsonLines(mode, 'dead-letter');
  expect(dead.slice(0, 3)).toEqual([]);
  const state = await storedState(mode);
  const diff = stateDiff(referenceState, state);
  if (process.env.FW_DEBUG_STATE)
    for (const k of diff.slice(0, 3)) console.log(`${name} ${k}\nclean: ${referenceState[k]}\n${name}: ${state[k]}`);
  return {
    mode,
    w,
    lines,
    changes: lines.map(toChange),
    epochBefore,
    epochAfter: await redis.get(`${mode.prefix}:epoch`),
    atRestart,
    stateDiff: diff,
  };
}

itOwn('the persistence check reads the real settings: AOF on is fine, AOF off is one loud warn line', async () => {
  const out: Array<Record<string, unknown>> = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void out.push(JSON.parse(s)) });
  expect((await checkRedisPersistence(redis, log, 'redis://test')).persisted).toBe(true);
  await redis.config('SET', 'appendonly', 'no');
  try {
    const v = await checkRedisPersistence(redis, log, 'redis://test');
    expect(v.persisted).toBe(false);
  } finally {
    await redis.config('SET', 'appendonly', 'yes');
  }
  expect(out.map((l) => [l.level, l.msg])).toEqual([
    [30, 'Redis persists state with AOF (appendfsync everysec)'],
    [
      40,
      expect.stringMatching(
        /^STATE NOT PERSISTED: Redis does not persist state \(appendonly no, no RDB save\): a Redis restart wipes .* run Redis with appendonly yes and appendfsync everysec/,
      ),
    ],
  ]);
  // The AOF rewrite that turning it back on starts must be done before Redis is restarted below.
  await waitFor(
    'AOF rewrite to finish',
    async () => (/aof_rewrite_in_progress:0/.test(await redis.info('persistence')) ? true : undefined),
    30_000,
    50,
  );
});

it('reference: a clean run (backlog, one worker)', async () => {
  const mode = openMode('clean');
  await createModeTopics(mode, PARTITIONS);
  await produceAll(mode, rec.records);
  const w = new Worker(mode, 'w1', writeWorkerConfig(mode, FIXTURE, 'w1'));
  await finish(mode, [w]);
  const lines = readJsonLines(mode, 'alerts');
  reference = lines.map(toChange);
  referenceState = await storedState(mode);
  numbers.clean = { records: rec.records.length, notifications: lines.length, changesCompared: keysOf(reference).length };
  expect(keysOf(reference).length).toBeGreaterThan(10);
});

itOwn(
  'Redis restarted without persistence mid-stream: wipe found, logged, re-seeded; every change of the clean run notified, re-sent firing marked',
  async () => {
    const r = await restartedMidStream('wiped', true);
    const isResent = (l: Record<string, unknown>) => (l.labels as Record<string, string>).resent === 'state-store-lost';
    const resent = r.lines.filter(isResent);
    const log = logLines(r.w);
    const errors = log.filter((l) => l.level === 50);
    const reseeded = log.find((l) => l.msg.startsWith('state store re-seeded'));
    const missing = keysOf(reference).filter((k) => !keysOf(r.changes).includes(k));
    // Measured first, so the numbers are printed even when an expectation below fails.
    numbers.wiped = {
      appliedAtRestart: r.atRestart,
      notifications: r.lines.length,
      changesCompared: keysOf(r.changes).length,
      missing: missing.length,
      firstMissing: missing.slice(0, 8),
      resentFiring: resent.length,
      reseeded: reseeded
        ? { scopes: (reseeded.scopes as string[]).length, rows: reseeded.rows, resentFiring: reseeded.resentFiring }
        : null,
      errorLines: errors.length,
      rowsDifferingFromClean: r.stateDiff.length,
      firstDiffering: r.stateDiff.slice(0, 5),
    };
    // Every change of the clean run, and nothing else.
    expect(keysOf(r.changes)).toEqual(keysOf(reference));
    // A change notified more than once: only as a firing re-sent after the loss, and marked so.
    const byKey = new Map<string, Array<Record<string, unknown>>>();
    for (const l of r.lines) {
      const k = changeKey(toChange(l));
      byKey.set(k, [...(byKey.get(k) ?? []), l]);
    }
    for (const [k, ls] of byKey) {
      if (ls.length === 1) continue;
      expect({ k, unmarked: ls.filter((l) => !isResent(l)).length }).toEqual({ k, unmarked: 1 });
    }
    for (const l of resent) {
      expect(l.status).toBe('firing');
      expect(l.summary).toMatch(/^\[re-sent after state store loss\] /);
    }
    expect(errors.map((l) => l.msg)).toContain(
      'state store was wiped or replaced (epoch changed): commits stopped; re-seeding it from the state this worker holds in memory',
    );
    expect(reseeded).toBeDefined();
    expect(Number(r.epochAfter)).toBeGreaterThan(Number(r.epochBefore));
  },
);

itOwn('Redis restarted with AOF mid-stream: nothing lost, nothing re-seeded, every change notified exactly once', async () => {
  const r = await restartedMidStream('aof', false);
  expect(keysOf(r.changes)).toEqual(keysOf(reference));
  const counts = new Map<string, number>();
  for (const c of r.changes) counts.set(changeKey(c), (counts.get(changeKey(c)) ?? 0) + 1);
  expect([...counts].filter(([, n]) => n !== 1)).toEqual([]);
  expect(r.epochAfter).toBe(r.epochBefore);
  expect(logLines(r.w).filter((l) => l.level >= 50)).toEqual([]);
  numbers.aof = {
    appliedAtRestart: r.atRestart,
    notifications: r.lines.length,
    changesCompared: keysOf(r.changes).length,
    duplicates: [...counts.values()].filter((n) => n > 1).length,
    rowsDifferingFromClean: r.stateDiff.length,
    firstDiffering: r.stateDiff.slice(0, 5),
  };
});
