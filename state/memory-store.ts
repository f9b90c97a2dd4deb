import type { PreparedCommit, StateStore } from './types';

/**
 * In-memory store for the embedded default and tests. Values are stored serialised, exactly as a
 * remote store would hold them, so a state that does not survive JSON is caught here first.
 */
export class MemoryStateStore implements StateStore {
  private readonly scopes = new Map<string, { position: number | null; entries: Map<string, string> }>();

  private scope(name: string) {
    let s = this.scopes.get(name);
    if (!s) this.scopes.set(name, (s = { position: null, entries: new Map() }));
    return s;
  }

  async loadAll(scope: string): Promise<Map<string, unknown>> {
    const out = new Map<string, unknown>();
    for (const [k, v] of this.scope(scope).entries) out.set(k, JSON.parse(v));
    return out;
  }

  async commit(scope: string, position: number | null, changes: ReadonlyMap<string, unknown | null>): Promise<boolean> {
    return this.prepare(scope, position, changes).write();
  }

  prepare(scope: string, position: number | null, changes: ReadonlyMap<string, unknown | null>): PreparedCommit {
    const serialised: Array<[string, string | null]> = [];
    for (const [k, v] of changes) serialised.push([k, v === null ? null : JSON.stringify(v)]);
    return {
      write: async () => {
        const s = this.scope(scope);
        if (position !== null && s.position !== null && position <= s.position) return false;
        for (const [k, v] of serialised) {
          if (v === null) s.entries.delete(k);
          else s.entries.set(k, v);
        }
        if (position !== null) s.position = position;
        return true;
      },
    };
  }

  async position(scope: string): Promise<number | null> {
    return this.scope(scope).position;
  }

  async close(): Promise<void> {}

  /** Number of stored entries (tests, metrics). */
  size(scope: string): number {
    return this.scope(scope).entries.size;
  }
}
