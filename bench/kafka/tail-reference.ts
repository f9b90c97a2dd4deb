/** The bench's side of the latency reference (tail-reference-child.ts): start, join, measure a step, summary, stop. */
import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import type { LatencySummary } from '../histogram';
import type { FromTailReference, ToTailReference } from './tail-reference-child';

/** Joining a new group waits for the broker's rebalance delay; longer than this is a broken broker. */
const JOIN_TIMEOUT_MS = 60_000;

export class TailReference {
  private constructor(private readonly child: ChildProcess) {}

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Forks the consumer and resolves once it has joined its group (so it reads the next step from its start). */
  static async start(o: { brokers: string[]; topics: string[]; groupId: string; fetchWaitMs?: number }): Promise<TailReference> {
    // Compiled: dist/bench/kafka/tail-reference-child.js next to this file.
    const child = fork(path.join(__dirname, 'tail-reference-child.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const t = new TailReference(child);
    const joined = t.next('joined', JOIN_TIMEOUT_MS);
    t.send({ type: 'start', ...o });
    try {
      await joined;
    } catch (err) {
      t.stop();
      throw err;
    }
    return t;
  }

  measure(since: number): void {
    this.send({ type: 'measure', since });
  }

  async summary(): Promise<{ fetched: LatencySummary; batches: number }> {
    const answer = this.next('summary', 10_000);
    this.send({ type: 'summary' });
    return answer;
  }

  stop(): void {
    try {
      this.send({ type: 'stop' });
    } catch {
      /* already gone */
    }
    setTimeout(() => this.child.kill('SIGKILL'), 5000).unref();
  }

  private send(m: ToTailReference): void {
    this.child.send(m);
  }

  private next<T extends FromTailReference['type']>(type: T, timeoutMs: number): Promise<Extract<FromTailReference, { type: T }>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.child.off('message', on);
        reject(new Error(`latency reference consumer: no "${type}" within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      const on = (m: FromTailReference) => {
        if (m.type !== type && m.type !== 'error') return;
        clearTimeout(timer);
        this.child.off('message', on);
        if (m.type === 'error') reject(new Error(`latency reference consumer: ${m.message}`));
        else resolve(m as Extract<FromTailReference, { type: T }>);
      };
      this.child.on('message', on);
    });
  }
}
