/**
 * Where alert state lives: alert records (per fingerprint: current state, ack, flapping,
 * escalation), aggregation groups, silences, the outbox of notifications per receiver, the
 * notification log and delivery leases. Memory for one process, Redis for workers sharing it.
 *
 * The logic (alerts/group, alerts/flap, ...) is written once as pure functions over JSON
 * documents; a store only needs to apply a function's writes atomically when the documents it
 * read are unchanged (optimistic concurrency), so two workers never both act on one change.
 */
export interface Writes {
  /** Store a JSON document; ttlMs > 0 makes it expire. */
  put(key: string, value: unknown, ttlMs?: number): void;
  del(key: string): void;
  /** Add or move a member of a time index (a sorted set scored by epoch ms). */
  schedule(index: string, member: string, at: number): void;
  unschedule(index: string, member: string): void;
  /** Append to a FIFO queue (an outbox, a group's pending changes). */
  enqueue<T extends object>(queue: string, value: T): void;
  /** Remove the first `n` entries of a queue (those a transaction read and handled). */
  trim(queue: string, n: number): void;
}

export interface AlertStore {
  /**
   * Reads `keys`, calls `fn` with their parsed values (undefined when absent) and applies the
   * writes it made — all or nothing — only if none of the keys changed since the read; otherwise
   * reads and calls again. `fn` must be pure: it may run more than once. `queues` are read whole,
   * after the documents, and passed as the third argument: a queue that is only appended to in
   * transactions that also write one of `keys` is then consistent with the documents (an append
   * in between makes the compare-and-set fail).
   */
  transact<R>(
    keys: readonly string[],
    fn: (docs: Array<unknown | undefined>, w: Writes, queues: unknown[][]) => R,
    queues?: readonly string[],
  ): Promise<R>;
  mget(keys: readonly string[]): Promise<Array<unknown | undefined>>;
  /** Members of a time index due at or before `now`, earliest first. */
  due(index: string, now: number, limit: number): Promise<string[]>;
  /** All members of an index, earliest first. */
  members(index: string): Promise<string[]>;
  /** The first `n` entries of a queue, without removing them. */
  peek(queue: string, n: number): Promise<unknown[]>;
  depth(queue: string): Promise<number>;
  /**
   * After a delivery: records `id` in the notification log (kept `logTtlMs`) and removes the
   * queue's head if it is still that entry — one atomic step.
   */
  ackHead(queue: string, id: string, logKey: string, logTtlMs: number): Promise<void>;
  /** Whether the notification log holds `logKey` (delivered before a crash, not yet removed). */
  logged(logKey: string): Promise<boolean>;
  /** Takes or renews a lease for `owner`; false when another owner holds it. */
  lease(name: string, owner: string, ttlMs: number): Promise<boolean>;
  release(name: string, owner: string): Promise<void>;
  ping(): Promise<void>;
  /** True for stores shared between processes (state survives this worker). */
  readonly shared: boolean;
  close(): Promise<void>;
}

/** Logical key names; the Redis store puts them under `<prefix>:{alerts}:` (one cluster slot). */
export const K = {
  record: (fingerprint: string) => `rec:${fingerprint}`,
  group: (id: string) => `grp:${id}`,
  /** A group's firing alerts, apart from its document (GroupHead): only flushes read and write it. */
  firing: (group: string) => `grpf:${group}`,
  silences: 'silences',
  /** Index of groups by next due time. */
  groupsDue: 'due:groups',
  /** Index of per-alert timers (escalation, flap settling) by due time; members "esc:<fp>", "flap:<fp>". */
  timers: 'due:timers',
  /** Index of firing alerts by start time. */
  active: 'active',
  outbox: (receiver: string) => `outbox:${receiver}`,
  /** A group's changes waiting for its next notification (appended per change, trimmed by the flush). */
  pending: (group: string) => `pend:${group}`,
  /** Notifications a receiver rejected permanently, kept for inspection. */
  dead: (receiver: string) => `dead:${receiver}`,
  sent: (receiver: string, id: string) => `sent:${receiver}:${id}`,
  lease: (receiver: string) => `lease:${receiver}`,
} as const;
