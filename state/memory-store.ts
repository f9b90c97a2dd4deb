import type { Health } from '../kernel/health';
import { StoreEpochChangedError, nextEpoch } from './epoch';
import type { PreparedCommit, StateStore } from './types';
import { StateEncoder, decodeStateValue, encodeChanges } from './codec';

interface Scope {
  position: number | null;
  entries: Map<string, Buffer>;
  /** Epoch of the last commit or re-seed (null: none yet). */
  epoch: number | null;
}

export interface MemoryStateStoreOptions {
  /** Told when the epoch changes (`state-store`); see StateStore.epoch. */
  health?: Health;
}

/**
 * In-memory store for the embedded default and tests. Values are stored serialised, exactly as a
 * remote store would hold them (state/codec.ts), so a state that does not survive storing is
 * caught here first. It
 * keeps epochs exactly as the Redis store does, so the runner's recovery after a wipe (`wipe()`)
 * is tested here without Redis.
 */
export class MemoryStateStore implements StateStore {
  private readonly scopes = new Map<string, Scope>();
  /** The store-wide epoch (null: never opened, or wiped). */
  private stored: number | null = null;
  /** This worker's epoch: what it writes with each commit. */
  private current: number | null = null;
  /** Per scope: the epoch loaded, which the next commit expects (null: none stored at load). */
  private readonly expected = new Map<string, number | null>();
  private readonly encoder = new StateEncoder();

  constructor(private readonly opts: MemoryStateStoreOptions = {}) {}

  private scope(name: string): Scope {
    let s = this.scopes.get(name);
    if (!s) this.scopes.set(name, (s = { position: null, entries: new Map(), epoch: null }));
    return s;
  }

  private open(): number {
    if (this.current === null) this.current = this.stored ??= nextEpoch(null, 1);
    return this.current;
  }

  get epoch(): number | null {
    return this.current;
  }

  async loadAll(scope: string): Promise<Map<string, unknown>> {
    this.open();
    const s = this.scope(scope);
    this.expected.set(scope, s.epoch);
    const out = new Map<string, unknown>();
    for (const [k, v] of s.entries) out.set(k, decodeStateValue(v, `state of ${scope}, entry ${JSON.stringify(k)}`));
    return out;
  }

  async commit(scope: string, position: number | null, changes: ReadonlyMap<string, unknown | null>): Promise<boolean> {
    return this.prepare(scope, position, changes).write();
  }

  prepare(scope: string, position: number | null, changes: ReadonlyMap<string, unknown | null>): PreparedCommit {
    const serialised = this.encode(changes);
    return {
      write: async () => {
        const epoch = this.open();
        const s = this.scope(scope);
        // Same rule as the Redis script: the loaded epoch must still be there; a scope loaded
        // empty accepts none or ours.
        const exp = this.expected.get(scope) ?? null;
        if (exp !== null ? s.epoch !== exp : s.epoch !== null && s.epoch !== epoch) {
          this.opts.health?.fail('state-store', `state store epoch changed for ${scope} (store wiped or replaced); re-seeding from memory`);
          throw new StoreEpochChangedError(scope, exp === null ? '' : String(exp), s.epoch === null ? '' : String(s.epoch));
        }
        if (position !== null && s.position !== null && position <= s.position) return false;
        for (const [k, v] of serialised) {
          if (v === null) s.entries.delete(k);
          else s.entries.set(k, v);
        }
        if (position !== null) s.position = position;
        s.epoch = epoch;
        this.expected.set(scope, epoch);
        return true;
      },
    };
  }

  async position(scope: string): Promise<number | null> {
    return this.scope(scope).position;
  }

  async renewEpoch(): Promise<number> {
    const prev = this.current;
    // Another worker (sharing the store) may have started the new epoch already: adopt it.
    if (this.stored === null || this.stored === prev) this.stored = nextEpoch(prev, (prev ?? 0) + 1);
    this.current = this.stored;
    return this.current;
  }

  async reseed(scope: string, rows: ReadonlyMap<string, unknown>, position: number | null): Promise<void> {
    const epoch = this.open();
    const entries = new Map<string, Buffer>();
    for (const [k, v] of this.encode(rows)) entries.set(k, v!);
    const s = this.scope(scope);
    s.entries = entries;
    // Never moves the position back: a commit may have landed since the worker last saw.
    if (position !== null && (s.position === null || s.position < position)) s.position = position;
    s.epoch = epoch;
    this.expected.set(scope, epoch);
  }

  private encode(changes: ReadonlyMap<string, unknown | null>): Array<[string, Buffer | null]> {
    const bytes = encodeChanges(this.encoder, changes);
    let i = 0;
    return [...changes.keys()].map((k) => [k, bytes[i++]]);
  }

  /** Stores a value as it is (bytes, or JSON text as an earlier release wrote it): migration tests. */
  putRaw(scope: string, id: string, stored: Buffer | string): void {
    this.scope(scope).entries.set(id, typeof stored === 'string' ? Buffer.from(stored, 'utf8') : stored);
  }

  /** A stored value's bytes (tests: what a commit wrote). */
  raw(scope: string, id: string): Buffer | undefined {
    return this.scopes.get(scope)?.entries.get(id);
  }

  recovered(): void {
    this.opts.health?.ok('state-store');
  }

  async close(): Promise<void> {}

  /** Number of stored entries (tests, metrics). */
  size(scope: string): number {
    return this.scope(scope).entries.size;
  }

  /** Forgets everything, as a Redis restarted without persistence (or FLUSHALL) does (tests). */
  wipe(): void {
    this.scopes.clear();
    this.stored = null;
  }
}
