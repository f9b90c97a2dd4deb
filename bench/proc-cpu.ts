import fs from 'node:fs';

/**
 * CPU time of the processes a bench shares the machine with (Kafka, Redis, InfluxDB, the load
 * generator), read from Linux's /proc, so each step can say where the box's CPU went — the
 * worker is only one of five busy processes on a small machine. Servers are found by the local
 * port they listen on (/proc/net/tcp{,6} → socket inode → the process holding it), which works
 * for servers the bench started and for ones named by $KAFKA_BROKERS/$REDIS_URL/$INFLUX_URL
 * alike, as long as they run on this machine and are visible to this user. Anywhere else
 * (another host, another OS, no permission) a process is simply not sampled.
 *
 * Written here rather than taken from a library: pidusage reports CPU since its own previous
 * call per pid (hidden shared state, awkward for per-step windows), and port-to-pid packages
 * shell out to lsof or ss.
 */

/** Linux's USER_HZ: /proc reports CPU time in ticks of 1/100 s on every mainstream architecture. */
export const TICKS_PER_SECOND = 100;

/** utime + stime in ticks from the text of /proc/<pid>/stat; null if it does not parse. */
export function parseStatTicks(stat: string): number | null {
  // The command name (field 2) is in parentheses and may contain spaces or ')': split after the last ')'.
  const close = stat.lastIndexOf(')');
  if (close < 0) return null;
  const rest = stat.slice(close + 2).split(' ');
  // rest[0] is field 3 (state); utime and stime are fields 14 and 15.
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? utime + stime : null;
}

/** Inodes of sockets listening on `port` in the text of /proc/net/tcp or /proc/net/tcp6. */
export function listeningInodes(table: string, port: number): string[] {
  const out: string[] = [];
  for (const line of table.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const local = f[1];
    const localPort = parseInt(local.slice(local.lastIndexOf(':') + 1), 16);
    // st 0A = LISTEN
    if (localPort === port && f[3] === '0A') out.push(f[9]);
  }
  return out;
}

/** The pid of the process listening on `port` on this machine, or null. */
export function pidListeningOn(port: number, proc = '/proc'): number | null {
  const inodes = new Set<string>();
  for (const t of ['net/tcp', 'net/tcp6']) {
    try {
      for (const i of listeningInodes(fs.readFileSync(`${proc}/${t}`, 'utf8'), port)) inodes.add(`socket:[${i}]`);
    } catch {
      // not Linux, or no IPv6 table
    }
  }
  if (inodes.size === 0) return null;
  for (const d of safeReaddir(proc)) {
    if (!/^\d+$/.test(d)) continue;
    for (const fd of safeReaddir(`${proc}/${d}/fd`)) {
      try {
        if (inodes.has(fs.readlinkSync(`${proc}/${d}/fd/${fd}`))) return Number(d);
      } catch {
        // closed meanwhile, or not ours to read
      }
    }
  }
  return null;
}

function safeReaddir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

const DEFAULT_PORTS: Record<string, number> = { redis: 6379, rediss: 6379, http: 80, https: 443 };

/**
 * The port of "host:port" or of a URL like redis://host:port, else the scheme's default
 * (`defaultPort` for a bare host, e.g. Kafka's 9092); null when there is none.
 */
export function portOf(address: string | undefined, defaultPort: number | null = null): number | null {
  if (!address) return null;
  const scheme = /^([a-z]+):\/\//i.exec(address)?.[1].toLowerCase();
  const m = /:(\d+)(?:\/|$)/.exec(address.replace(/^[a-z]+:\/\//i, ''));
  if (m) return Number(m[1]);
  return scheme !== undefined ? (DEFAULT_PORTS[scheme] ?? null) : defaultPort;
}

/**
 * The processes to sample: `known` by pid (the load generator), and servers by the port of their
 * address (a "host:port" or a URL; `defaultPort` for a bare host). Also names the servers that
 * could not be found on this machine, so a report can say what its split leaves out.
 */
export function boxProcesses(
  known: ReadonlyMap<string, number>,
  servers: ReadonlyArray<{ name: string; address: string | undefined; defaultPort?: number }>,
): { pids: Map<string, number>; unsampled: string[] } {
  const pids = new Map(known);
  const unsampled: string[] = [];
  for (const { name, address, defaultPort } of servers) {
    const port = portOf(address, defaultPort ?? null);
    const pid = port === null ? null : pidListeningOn(port);
    if (pid !== null && pid !== process.pid) pids.set(name, pid);
    else unsampled.push(port === null ? name : `${name} (:${port})`);
  }
  return { pids, unsampled };
}

/** CPU ticks used so far by `pid`, or null when it cannot be read. */
export function cpuTicks(pid: number, proc = '/proc'): number | null {
  try {
    return parseStatTicks(fs.readFileSync(`${proc}/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}

/**
 * CPU % of a core per named process over a window: `start()` then `stop(wallMs)`. A process that
 * cannot be read at either end is left out.
 */
export class ProcessCpu {
  private readonly before = new Map<string, number>();

  constructor(
    private readonly pids: ReadonlyMap<string, number>,
    private readonly read: (pid: number) => number | null = cpuTicks,
  ) {}

  start(): void {
    this.before.clear();
    for (const [name, pid] of this.pids) {
      const t = this.read(pid);
      if (t !== null) this.before.set(name, t);
    }
  }

  stop(wallMs: number): Record<string, number> {
    const out: Record<string, number> = {};
    if (!(wallMs > 0)) return out;
    for (const [name, pid] of this.pids) {
      const t0 = this.before.get(name);
      const t1 = this.read(pid);
      if (t0 === undefined || t1 === null || t1 < t0) continue;
      out[name] = Math.round(((t1 - t0) / TICKS_PER_SECOND / (wallMs / 1000)) * 1000) / 10;
    }
    return out;
  }
}
