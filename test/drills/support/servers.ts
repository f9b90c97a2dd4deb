/**
 * The drill suite's own servers: Kafka and InfluxDB from scripts/services, Redis run directly —
 * all on ports of their own (24092 / 24379 / 24086 unless FW_DRILL_*_PORT says otherwise) with
 * their data under a folder of their own, because drills kill, pause, wipe and restart them.
 * The shared servers of the integration tests (and anyone's own) are never touched.
 *
 * Redis is not started through scripts/services: that runs it without persistence (the test
 * default), and the drills need to choose — AOF as production runs it, or none to wipe it.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { waitFor } from '../../support/kafka';

const run = promisify(execFile);
const ROOT = path.join(__dirname, '..', '..', '..');
const SCRIPT = path.join(ROOT, 'scripts', 'services');

export const DRILL_ROOT = process.env.FW_DRILLS_DIR ?? path.join(tmpdir(), 'flowwatch-drills');
export const SERVICES_DIR = path.join(DRILL_ROOT, 'services');
export const PORTS = {
  kafka: Number(process.env.FW_DRILL_KAFKA_PORT ?? 24092),
  redis: Number(process.env.FW_DRILL_REDIS_PORT ?? 24379),
  influx: Number(process.env.FW_DRILL_INFLUX_PORT ?? 24086),
};

/** The environment scripts/services needs to manage the drill servers, not the shared ones. */
function scriptEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    FW_SERVICES_DIR: SERVICES_DIR,
    FW_KAFKA_PORT: String(PORTS.kafka),
    FW_REDIS_PORT: String(PORTS.redis),
    FW_INFLUX_PORT: String(PORTS.influx),
  };
}

/** What the workers and test clients connect to. */
export function drillEnv(): Record<string, string> {
  return {
    KAFKA_BROKERS: `127.0.0.1:${PORTS.kafka}`,
    REDIS_URL: `redis://127.0.0.1:${PORTS.redis}`,
    INFLUX_URL: `http://127.0.0.1:${PORTS.influx}`,
    INFLUX_TOKEN: '',
    INFLUX_ORG: '-',
    INFLUX_BUCKET: 'flowwatch/autogen',
  };
}

type ScriptService = 'kafka' | 'influxdb';

function pidOf(svc: ScriptService): number | undefined {
  const f = path.join(SERVICES_DIR, svc, `${svc}.pid`);
  if (!existsSync(f)) return undefined;
  const pid = Number(readFileSync(f, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function status(svc: ScriptService): Promise<string> {
  try {
    return (await run(SCRIPT, ['status', svc], { env: scriptEnv() })).stdout;
  } catch (err) {
    return String((err as { stdout?: string }).stdout ?? ''); // exit 3: not running
  }
}

/**
 * scripts/services up, and wait until the service answers. `up` has been seen to give up on a
 * Kafka that was still starting on a loaded machine ("exited before it answered" while it ran on):
 * then its status is what counts, within the same time limit.
 */
export async function up(svc: ScriptService, timeoutMs = 180_000): Promise<void> {
  try {
    await run(SCRIPT, ['up', svc], { env: scriptEnv(), timeout: timeoutMs });
  } catch (err) {
    if (!pidOf(svc)) throw new Error(`scripts/services up ${svc} failed and nothing runs: ${(err as { stderr?: string }).stderr ?? err}`);
  }
  await waitFor(
    `${svc} answering on its drill port`,
    async () => ((await status(svc)).match(new RegExp(`^${svc}\\s+running`, 'm')) ? true : undefined),
    timeoutMs,
    500,
  );
}

/** Sends `signal` to the server and waits until it is gone (SIGTERM: a clean stop; SIGKILL: a crash). */
export async function stop(svc: ScriptService, signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 90_000): Promise<void> {
  const pid = pidOf(svc);
  if (!pid) throw new Error(`${svc} is not running under ${SERVICES_DIR}`);
  process.kill(pid, signal);
  await waitFor(`${svc} (pid ${pid}) to exit after ${signal}`, () => (alive(pid) ? undefined : true), timeoutMs, 100);
}

/** Stops the drill servers and wipes their data: each run's topics, databases and keys are its own, nothing to keep. */
export function downAll(): void {
  execFileSync(SCRIPT, ['down', '--clean', 'kafka', 'influxdb'], { env: scriptEnv(), stdio: ['ignore', 'ignore', 'inherit'] });
  rmSync(REDIS_DIR, { recursive: true, force: true });
}

// ---- Redis --------------------------------------------------------------------------------------

const REDIS_DIR = path.join(SERVICES_DIR, 'redis-drills');
const REDIS_PID = path.join(REDIS_DIR, 'redis.pid');

function redisPid(): number | undefined {
  if (!existsSync(REDIS_PID)) return undefined;
  const pid = Number(readFileSync(REDIS_PID, 'utf8').trim());
  return pid > 0 && alive(pid) ? pid : undefined;
}

/**
 * Starts Redis. `aof`: appendonly with fsync every second, as production should run it (a restart
 * keeps state, positions and the outbox); without it a restart comes back empty. `wipe` removes the
 * data files first.
 */
export async function startRedis(opts: { aof: boolean; wipe?: boolean }): Promise<void> {
  if (redisPid()) throw new Error('drill Redis is already running');
  if (opts.wipe) rmSync(REDIS_DIR, { recursive: true, force: true });
  mkdirSync(REDIS_DIR, { recursive: true });
  await run(
    'redis-server',
    [
      '--port',
      String(PORTS.redis),
      '--bind',
      '127.0.0.1',
      '--dir',
      REDIS_DIR,
      '--save',
      '',
      '--appendonly',
      opts.aof ? 'yes' : 'no',
      '--appendfsync',
      'everysec',
      '--daemonize',
      'yes',
      '--pidfile',
      REDIS_PID,
      '--logfile',
      path.join(REDIS_DIR, 'redis.log'),
    ],
    { cwd: REDIS_DIR },
  );
  await waitFor(
    'drill Redis answering',
    async () => {
      try {
        return (await run('redis-cli', ['-p', String(PORTS.redis), 'ping'])).stdout.trim() === 'PONG' ? true : undefined;
      } catch {
        return undefined;
      }
    },
    30_000,
    100,
  );
}

export async function stopRedis(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  const pid = redisPid();
  if (!pid) return;
  process.kill(pid, 'SIGCONT'); // a paused Redis cannot act on SIGTERM
  process.kill(pid, signal);
  await waitFor(`drill Redis (pid ${pid}) to exit after ${signal}`, () => (alive(pid) ? undefined : true), 30_000, 50);
}

/** SIGSTOP: Redis holds its connections open and answers nothing — the worst kind of slow. */
export function pauseRedis(): void {
  const pid = redisPid();
  if (!pid) throw new Error('drill Redis is not running');
  process.kill(pid, 'SIGSTOP');
}

export function resumeRedis(): void {
  const pid = redisPid();
  if (pid) process.kill(pid, 'SIGCONT');
}
