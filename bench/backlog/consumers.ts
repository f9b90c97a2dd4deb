import { fork, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FlowwatchError } from '../../kernel/errors';
import { cpuTicks } from '../proc-cpu';
import { backlogWindow, type BacklogSample, type BacklogWindow } from './measure';
import type { FromRawConsumer, ToRawConsumer } from './raw-consumer-child';

/** How often the positions (or the raw consumer's count) and the process's CPU are read: docs/bench.md's method. */
const SAMPLE_MS = 200;
/** A consumer that applies nothing for this long is stuck: the run fails saying so. */
const STALL_MS = 120_000;

/** One consumer's pass over the backlog. */
export interface BacklogRun extends BacklogWindow {
  /** Events done when it stopped (the worker: Σ(position + 1) in Redis). */
  done: number;
  /** 1-minute load average when it started and when it was done. */
  loadStart: number;
  loadEnd: number;
}

export interface SampleOptions {
  total: number;
  label: string;
  progress: (line: string, final?: boolean) => void;
  /** Ctrl-C on the bench. */
  interrupted: () => boolean;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const fmt = (x: number) => Math.round(x).toLocaleString('en-US');

/**
 * Reads `done()` and the child's CPU every 200 ms until the whole backlog is done, then gives the
 * 10–90 % figures. Fails when the child exits first, stops making progress, or the bench is interrupted.
 */
async function sampleUntilDone(children: ChildProcess[], done: () => Promise<number>, o: SampleOptions): Promise<BacklogRun> {
  const samples: BacklogSample[] = [];
  const loadStart = os.loadavg()[0];
  let last = { n: -1, at: Date.now() };
  for (;;) {
    if (o.interrupted()) throw new FlowwatchError('FW_USAGE', 'bench interrupted');
    const gone = children.find((c) => c.exitCode !== null || c.signalCode !== null);
    if (gone) throw new Error(`${o.label} exited (${gone.exitCode ?? gone.signalCode}) before the backlog was done`);
    const n = await done();
    const s = { t: Date.now(), done: n, cpuTicks: ticksOf(children) };
    samples.push(s);
    if (n !== last.n) last = { n, at: s.t };
    else if (s.t - last.at > STALL_MS) throw new Error(`${o.label} stuck at ${fmt(n)} of ${fmt(o.total)} events for ${STALL_MS / 1000} s`);
    const rate = samples.length > 5 ? ((n - samples[samples.length - 6].done) * 1000) / (s.t - samples[samples.length - 6].t) : 0;
    o.progress(`  ${o.label}: ${fmt(n)}/${fmt(o.total)} events  ${fmt(rate)}/s`);
    if (n >= o.total) break;
    await sleep(SAMPLE_MS);
  }
  const w = backlogWindow(samples, o.total);
  return { ...w, done: samples[samples.length - 1].done, loadStart: round2(loadStart), loadEnd: round2(os.loadavg()[0]) };
}

/** `flowwatch run` as a user starts it, its output kept in the run's folder. */
export interface WorkerChild {
  root: string;
  configFile: string;
  /** Node options before the script, e.g. --cpu-prof --cpu-prof-dir=DIR. */
  nodeArgs: string[];
  dir: string;
  /** Worker processes in the one consumer group (partitions split between them): 1 unless measuring a second core. */
  processes: number;
  /** `run --threads` of each process (1: the option is not passed). */
  threads: number;
}

/** One `flowwatch run` process with its stdout/stderr files. */
interface Spawned {
  child: ChildProcess;
  exited: Promise<number | string>;
  stderrFile: string;
  fds: number[];
}

function spawnWorker(c: WorkerChild, i: number): Spawned {
  const suffix = c.processes > 1 ? `-${i + 1}` : '';
  const stdout = fs.openSync(path.join(c.dir, `worker${suffix}.stdout`), 'w');
  const stderrFile = path.join(c.dir, `worker${suffix}.stderr`);
  const stderr = fs.openSync(stderrFile, 'w');
  const threads = c.threads > 1 ? ['--threads', String(c.threads)] : [];
  const child = spawn(process.execPath, [...c.nodeArgs, path.join(c.root, 'bin', 'flowwatch.js'), 'run', '-c', c.configFile, ...threads], {
    // The bench's folder, not the run's: a relative --cpu-prof-dir must outlive the run's cleanup.
    stdio: ['ignore', stdout, stderr],
    env: { ...process.env, FLOWWATCH_LOG_LEVEL: process.env.FLOWWATCH_LOG_LEVEL ?? 'warn' },
  });
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, sig) => resolve(code ?? sig ?? -1)));
  return { child, exited, stderrFile, fds: [stdout, stderr] };
}

const tailOf = (w: Spawned) => fs.readFileSync(w.stderrFile, 'utf8').trim().split('\n').slice(-5).join('\n');

/**
 * The worker: `node [nodeArgs] bin/flowwatch.js run -c FILE` from offset 0 (`processes` of them in one
 * consumer group), its progress the applied positions in Redis (`applied()`); stopped with SIGTERM
 * once everything is applied, as an operator stops it. Returns its figures (CPU of all processes
 * together) and its summary line(s) (events, alerts, rejects).
 */
export async function measureWorker(
  c: WorkerChild,
  applied: () => Promise<number>,
  o: SampleOptions,
): Promise<BacklogRun & { summary: string }> {
  const workers = Array.from({ length: c.processes }, (_, i) => spawnWorker(c, i));
  const tails = () => workers.map(tailOf).join('\n');
  try {
    const run = await sampleUntilDone(
      workers.map((w) => w.child),
      applied,
      o,
    ).catch((err: Error) => {
      throw new Error(`${err.message}; the last lines on stderr:\n${tails()}`, { cause: err });
    });
    for (const w of workers) w.child.kill('SIGTERM');
    const codes = await Promise.all(workers.map((w) => Promise.race([w.exited, sleep(30_000).then(() => 'timeout')])));
    if (codes.some((code) => code !== 0))
      throw new Error(`flowwatch run did not stop cleanly on SIGTERM (${codes.join(', ')}):\n${tails()}`);
    const summary = workers.map((w) => /flowwatch: stopped after .*/.exec(fs.readFileSync(w.stderrFile, 'utf8'))?.[0] ?? '').join('; ');
    return { ...run, summary };
  } finally {
    for (const w of workers) {
      if (w.child.exitCode === null) w.child.kill('SIGKILL');
      for (const fd of w.fds) fs.closeSync(fd);
    }
  }
}

/** The raw kafkajs consumer (consume and drop) over the same topics, in its own process (raw-consumer-child.ts). */
export async function measureRawConsumer(start: Extract<ToRawConsumer, { type: 'start' }>, o: SampleOptions): Promise<BacklogRun> {
  // Compiled: dist/bench/backlog/raw-consumer-child.js next to this file.
  const child = fork(path.join(__dirname, 'raw-consumer-child.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let waiting: { resolve: (n: number) => void; reject: (err: Error) => void } | null = null;
  let failure: string | null = null;
  child.on('message', (m: FromRawConsumer) => {
    if (m.type === 'count') waiting?.resolve(m.n);
    else waiting?.reject(new Error(`raw consumer: ${(failure = m.message)}`));
  });
  child.on('exit', (code) => waiting?.reject(new Error(`raw consumer exited (${code}) before the backlog was read`)));
  const count = () =>
    new Promise<number>((resolve, reject) => {
      if (failure !== null) return reject(new Error(`raw consumer: ${failure}`));
      waiting = { resolve, reject };
      child.send({ type: 'sample' } satisfies ToRawConsumer);
    });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    child.send(start);
    return await sampleUntilDone([child], count, o);
  } finally {
    // Gone before the topics are deleted: a consumer still polling would have the broker create them again.
    if (child.connected) child.send({ type: 'stop' } satisfies ToRawConsumer);
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    if (child.exitCode === null && child.signalCode === null) await exited;
    clearTimeout(kill);
  }
}

/** CPU ticks of all the processes together (several workers share one backlog); null when one cannot be read. */
function ticksOf(children: ChildProcess[]): number | null {
  let sum = 0;
  for (const c of children) {
    const t = c.pid === undefined ? null : cpuTicks(c.pid);
    if (t === null) return null;
    sum += t;
  }
  return sum;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
