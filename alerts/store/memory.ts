import type { Clock } from '../../kernel/clock';
import type { AlertStore, Writes } from './types';

interface Entry {
  raw: string;
  expiresAt: number;
}

type Op = (s: MemoryAlertStore) => void;

/** One process's alert state (the embedded default). Atomic because `fn` runs synchronously. */
export class MemoryAlertStore implements AlertStore {
  readonly shared = false;
  private readonly docs = new Map<string, Entry>();
  private readonly indexes = new Map<string, Map<string, number>>();
  private readonly queues = new Map<string, string[]>();
  private readonly leases = new Map<string, { owner: string; until: number }>();

  constructor(private readonly clock: Clock) {}

  private read(key: string): string | undefined {
    const e = this.docs.get(key);
    if (!e) return undefined;
    if (e.expiresAt > 0 && e.expiresAt <= this.clock.now()) {
      this.docs.delete(key);
      return undefined;
    }
    return e.raw;
  }

  async transact<R>(
    keys: readonly string[],
    fn: (docs: Array<unknown | undefined>, w: Writes, queues: unknown[][]) => R,
    queues: readonly string[] = [],
  ): Promise<R> {
    const docs = keys.map((k) => {
      const raw = this.read(k);
      return raw === undefined ? undefined : JSON.parse(raw);
    });
    const lists = queues.map((q) => this.queue(q).map((raw) => JSON.parse(raw) as unknown));
    const ops: Op[] = [];
    const now = this.clock.now();
    const w: Writes = {
      put: (key, value, ttlMs = 0) => {
        const raw = JSON.stringify(value);
        ops.push((s) => s.docs.set(key, { raw, expiresAt: ttlMs > 0 ? now + ttlMs : 0 }));
      },
      del: (key) => ops.push((s) => s.docs.delete(key)),
      schedule: (index, member, at) => ops.push((s) => s.index(index).set(member, at)),
      unschedule: (index, member) => ops.push((s) => s.index(index).delete(member)),
      enqueue: (queue, value) => {
        const raw = JSON.stringify(value);
        ops.push((s) => s.queue(queue).push(raw));
      },
      trim: (queue, n) => ops.push((s) => void s.queue(queue).splice(0, n)),
    };
    const result = fn(docs, w, lists);
    for (const op of ops) op(this);
    return result;
  }

  private index(name: string): Map<string, number> {
    let m = this.indexes.get(name);
    if (!m) this.indexes.set(name, (m = new Map()));
    return m;
  }

  private queue(name: string): string[] {
    let q = this.queues.get(name);
    if (!q) this.queues.set(name, (q = []));
    return q;
  }

  async mget(keys: readonly string[]): Promise<Array<unknown | undefined>> {
    return keys.map((k) => {
      const raw = this.read(k);
      return raw === undefined ? undefined : JSON.parse(raw);
    });
  }

  async due(index: string, now: number, limit: number): Promise<string[]> {
    return [...this.index(index)]
      .filter(([, at]) => at <= now)
      .sort((a, b) => a[1] - b[1])
      .slice(0, limit)
      .map(([m]) => m);
  }

  async members(index: string): Promise<string[]> {
    return [...this.index(index)].sort((a, b) => a[1] - b[1]).map(([m]) => m);
  }

  async peek(queue: string, n: number): Promise<unknown[]> {
    return this.queue(queue)
      .slice(0, n)
      .map((raw) => JSON.parse(raw));
  }

  async depth(queue: string): Promise<number> {
    return this.queue(queue).length;
  }

  async ackHead(queue: string, id: string, logKey: string, logTtlMs: number): Promise<void> {
    this.docs.set(logKey, { raw: '1', expiresAt: this.clock.now() + logTtlMs });
    const q = this.queue(queue);
    if (q.length > 0 && (JSON.parse(q[0]) as { id: string }).id === id) q.shift();
  }

  async logged(logKey: string): Promise<boolean> {
    return this.read(logKey) !== undefined;
  }

  async lease(name: string, owner: string, ttlMs: number): Promise<boolean> {
    const now = this.clock.now();
    const cur = this.leases.get(name);
    if (cur && cur.owner !== owner && cur.until > now) return false;
    this.leases.set(name, { owner, until: now + ttlMs });
    return true;
  }

  async release(name: string, owner: string): Promise<void> {
    if (this.leases.get(name)?.owner === owner) this.leases.delete(name);
  }

  async ping(): Promise<void> {}

  /** Forgets everything, as a Redis restarted without persistence does (tests of store loss). */
  wipe(): void {
    this.docs.clear();
    this.indexes.clear();
    this.queues.clear();
    this.leases.clear();
  }

  async close(): Promise<void> {}
}
