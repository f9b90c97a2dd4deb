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
async function sampleUntilDone(child: ChildProcess, done: () => Promise<number>, o: SampleOptions): Promise<BacklogRun> {
  const samples: BacklogSample[] = [];
  const loadStart = os.loadavg()[0];
  let last = { n: -1, at: Date.now() };
  for (;;) {
    if (o.interrupted()) throw new FlowwatchError('FW_USAGE', 'bench interrupted');
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`${o.label} exited (${child.exitCode ?? child.signalCode}) before the backlog was done`);
    const n = await done();
    const s = { t: Date.now(), done: n, cpuTicks: child.pid === undefined ? null : cpuTicks(child.pid) };
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
}

/**
 * The worker: `node [nodeArgs] bin/flowwatch.js run -c FILE` from offset 0, its progress the applied
 * positions in Redis (`applied()`); stopped with SIGTERM once everything is applied, as an operator
 * stops it. Returns its figures and its summary line (events, alerts, rejects).
 */
export async function measureWorker(
  c: WorkerChild,
  applied: () => Promise<number>,
  o: SampleOptions,
): Promise<BacklogRun & { summary: string }> {
  const stdout = fs.openSync(path.join(c.dir, 'worker.stdout'), 'w');
  const stderrFile = path.join(c.dir, 'worker.stderr');
  const stderr = fs.openSync(stderrFile, 'w');
  const child = spawn(process.execPath, [...c.nodeArgs, path.join(c.root, 'bin', 'flowwatch.js'), 'run', '-c', c.configFile], {
    // The bench's folder, not the run's: a relative --cpu-prof-dir must outlive the run's cleanup.
    stdio: ['ignore', stdout, stderr],
    env: { ...process.env, FLOWWATCH_LOG_LEVEL: process.env.FLOWWATCH_LOG_LEVEL ?? 'warn' },
  });
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, sig) => resolve(code ?? sig ?? -1)));
  const tail = () => fs.readFileSync(stderrFile, 'utf8').trim().split('\n').slice(-5).join('\n');
  try {
    const run = await sampleUntilDone(child, applied, o).catch((err: Error) => {
      throw new Error(`${err.message}; its last lines on stderr:\n${tail()}`, { cause: err });
    });
    child.kill('SIGTERM');
    const code = await Promise.race([exited, sleep(30_000).then(() => 'timeout')]);
    if (code !== 0) throw new Error(`flowwatch run did not stop cleanly on SIGTERM (${code}):\n${tail()}`);
    const summary = /flowwatch: stopped after .*/.exec(fs.readFileSync(stderrFile, 'utf8'))?.[0] ?? '';
    return { ...run, summary };
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    fs.closeSync(stdout);
    fs.closeSync(stderr);
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
    return await sampleUntilDone(child, count, o);
  } finally {
    // Gone before the topics are deleted: a consumer still polling would have the broker create them again.
    if (child.connected) child.send({ type: 'stop' } satisfies ToRawConsumer);
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    if (child.exitCode === null && child.signalCode === null) await exited;
    clearTimeout(kill);
  }
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
