import { mkdir, open, type FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import { FlowwatchError } from '../kernel/errors';
import type { Logger } from '../kernel/logger';
import type { Reject } from '../kernel/types';

/**
 * Where records that could not become events go, with their reason and original payload.
 * write() resolves once the rejects are durable and rejects (FW_DEAD_LETTER, with the cause)
 * when they are not — it never throws asynchronously or emits an 'error' event. The runner
 * holds the batch, unacknowledged, and calls write() again with the same rejects until it
 * resolves, so an output must not keep half of a failed write (or say so in its docs).
 */
export interface DeadLetterOutput {
  write(rejects: readonly Reject[]): Promise<void>;
  close(): Promise<void>;
}

function line(r: Reject): string {
  return (
    JSON.stringify({
      at: new Date(r.at).toISOString(),
      stream: r.stream,
      reason: r.reason,
      detail: r.detail,
      source: r.source,
      raw: r.raw,
      ...(r.encoding ? { encoding: r.encoding } : {}),
    }) + '\n'
  );
}

/** The errno code of a failed fs call ("ENOSPC", "EROFS", ...), for messages. */
function codeOf(err: unknown): string {
  const c = (err as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : 'error';
}

/** How much of an existing file's end is read at open to learn what it already holds. */
const DEFAULT_TAIL_BYTES = 4 * 1024 * 1024;

/**
 * A Kafka source ("topic/partition@offset", ingest/sources/kafka-source.ts) split into its
 * partition and offset; undefined for sources without an offset (file:line, simulator).
 * The offset is a bigint: Kafka offsets are 64-bit.
 */
export function sourceOffset(source: string | undefined): { partition: string; offset: bigint } | undefined {
  const m = source === undefined ? null : /^(.+\/\d+)@(\d+)$/.exec(source);
  return m ? { partition: m[1], offset: BigInt(m[2]) } : undefined;
}

export interface FileDeadLetterOptions {
  log?: Logger;
  /** Bytes of an existing file's end read at open (default 4 MiB). */
  tailBytes?: number;
}

/**
 * JSONL file, opened on the first reject so clean runs leave no empty file behind.
 *
 * Durable means written and fdatasync'ed: the batch's offsets are committed right after, so a
 * reject that sat only in the page cache would be lost with the machine. The sync costs a
 * disk flush per batch *with rejects* only (rare: bad input), never per record.
 *
 * A failed write (ENOSPC on a full disk, EROFS after a remount, EACCES, EIO) may have appended
 * part of the batch: the file is cut back to where the last good write ended, so the retry
 * appends the batch once and whole — no torn line, no duplicate. The handle is then closed and
 * opened afresh on the next attempt (a disk remounted read-write, a directory that came back).
 *
 * Replays: the runner writes a batch's dead letters before its state commit, so a worker that
 * stops or crashes in between leaves them in the file and the next worker reads the batch again.
 * To keep the file exactly-once, it learns at open, from the file's last `tailBytes`, the highest
 * offset written per Kafka source partition, and afterwards from its own writes; a reject whose
 * offset is not above its partition's is one already written (a partition's offsets are monotonic
 * and the runner writes its batches in order) and is skipped, counted in a log line. Rejects
 * without an offset (file and simulator sources) are always written. A replayed batch is the
 * last one or few of its partition, so the bounded tail holds them unless a single batch wrote
 * more than `tailBytes` of dead letters. Writes are serialised (partitions' batches run
 * concurrently): the offsets learned and the cut-back point stay those of whole, ordered writes.
 */
export class FileDeadLetter implements DeadLetterOutput {
  private handle?: FileHandle;
  /** Bytes of the file known to be whole lines (its size when opened, plus good writes). */
  private end = 0;
  /** Highest source offset written, per "topic/partition"; undefined until the file's tail was read. */
  private written?: Map<string, bigint>;
  /** The write in progress: the next one starts after it. */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly log?: Logger;
  private readonly tailBytes: number;

  constructor(
    readonly file: string,
    opts: FileDeadLetterOptions = {},
  ) {
    this.log = opts.log;
    this.tailBytes = opts.tailBytes ?? DEFAULT_TAIL_BYTES;
  }

  write(rejects: readonly Reject[]): Promise<void> {
    if (rejects.length === 0) return Promise.resolve();
    const next = this.queue.then(() => this.writeNow(rejects));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async writeNow(rejects: readonly Reject[]): Promise<void> {
    let handle: FileHandle | undefined;
    try {
      handle = await this.open();
      const written = this.written ?? new Map<string, bigint>();
      // Compared with what was written before this batch: one record's several rejects share an offset.
      const fresh: Reject[] = [];
      const highest = new Map<string, bigint>();
      const skipped = new Map<string, number>();
      for (const r of rejects) {
        const at = sourceOffset(r.source);
        if (at) {
          const before = written.get(at.partition);
          if (before !== undefined && at.offset <= before) {
            skipped.set(at.partition, (skipped.get(at.partition) ?? 0) + 1);
            continue;
          }
          if (at.offset > (highest.get(at.partition) ?? -1n)) highest.set(at.partition, at.offset);
        }
        fresh.push(r);
      }
      if (skipped.size > 0) {
        const partitions = Object.fromEntries([...skipped].map(([p, n]) => [p, { skipped: n, written: String(written.get(p)) }]));
        this.log?.info(
          { file: this.file, skipped: rejects.length - fresh.length, writing: fresh.length, partitions },
          'dead letters of a re-read batch are already in the file; skipped (written once)',
        );
      }
      if (fresh.length === 0) return;
      const data = Buffer.from(fresh.map(line).join(''));
      for (let off = 0; off < data.length;) {
        // O_APPEND: each write lands at the current end; a short write (disk filling up) is continued.
        const { bytesWritten } = await handle.write(data, off, data.length - off);
        off += bytesWritten;
      }
      await handle.datasync();
      this.end += data.length;
      for (const [p, o] of highest) written.set(p, o);
    } catch (err) {
      if (handle) await this.discard(handle);
      throw new FlowwatchError(
        'FW_DEAD_LETTER',
        `dead-letter file ${this.file}: cannot write ${rejects.length} reject${rejects.length === 1 ? '' : 's'} (${codeOf(err)})`,
        {
          cause: err,
          details: { file: this.file, rejects: rejects.length },
        },
      );
    }
  }

  async close(): Promise<void> {
    await this.queue;
    const h = this.handle;
    this.handle = undefined;
    await h?.close();
  }

  private async open(): Promise<FileHandle> {
    if (this.handle) return this.handle;
    await mkdir(path.dirname(path.resolve(this.file)), { recursive: true });
    // a+: appends (O_APPEND), and reads the tail at the first open.
    const h = await open(this.file, 'a+');
    try {
      this.end = (await h.stat()).size;
      // Learned once: after a failed write the map of this process is newer than the file's tail.
      if (!this.written) this.written = await this.readTail(h);
    } catch (err) {
      await h.close().catch(() => undefined);
      throw err;
    }
    this.handle = h;
    return h;
  }

  /**
   * The highest source offset per partition in the file's last `tailBytes`. A torn last line
   * (a crash in the middle of a write, before the batch was acknowledged) is cut off: its batch
   * is read again and written whole.
   */
  private async readTail(h: FileHandle): Promise<Map<string, bigint>> {
    const written = new Map<string, bigint>();
    // A device (/dev/stderr, /dev/full) or an empty file holds nothing to learn.
    if (this.end === 0 || !(await h.stat()).isFile()) return written;
    const from = Math.max(0, this.end - this.tailBytes);
    const buf = Buffer.alloc(this.end - from);
    for (let got = 0; got < buf.length;) {
      const { bytesRead } = await h.read(buf, got, buf.length - got, from + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    const lastNewline = buf.lastIndexOf(0x0a);
    // Bytes after the last newline: a line cut short, unless the tail began mid-line and holds no newline at all.
    if (lastNewline < buf.length - 1 && (lastNewline >= 0 || from === 0)) {
      const whole = from + lastNewline + 1;
      let complete = false;
      try {
        JSON.parse(buf.subarray(lastNewline + 1).toString('utf8'));
        complete = true;
      } catch {
        // not JSON: a torn line
      }
      if (complete) {
        // A whole line someone wrote without its newline: ended, not cut, so nothing is lost and the next line starts apart.
        await h.write('\n');
        this.end += 1;
      } else {
        this.log?.warn(
          { file: this.file, bytes: this.end - whole },
          'dead-letter file ends in a torn line (a write cut short); cut back to the last whole line, its batch is written again',
        );
        await h.truncate(whole);
        this.end = whole;
      }
    }
    // The first line of a tail that starts mid-file is partial: skipped (it is not JSON).
    let lines = 0;
    for (const text of buf.toString('utf8').split('\n')) {
      if (!text.includes('"source"')) continue;
      let source: unknown;
      try {
        source = (JSON.parse(text) as { source?: unknown }).source;
      } catch {
        continue;
      }
      const at = typeof source === 'string' ? sourceOffset(source) : undefined;
      if (!at) continue;
      lines++;
      if (at.offset > (written.get(at.partition) ?? -1n)) written.set(at.partition, at.offset);
    }
    this.log?.debug(
      { file: this.file, tailBytes: buf.length, lines, partitions: written.size },
      'dead-letter file: offsets already written learned from its tail',
    );
    return written;
  }

  /** After a failed write: cut off what it appended (best effort) and let the next attempt reopen. */
  private async discard(h: FileHandle): Promise<void> {
    this.handle = undefined;
    await h.truncate(this.end).catch(() => undefined);
    await h.close().catch(() => undefined);
  }
}

/** JSON lines on stderr, prefixed so they stand apart from logs. */
export class StderrDeadLetter implements DeadLetterOutput {
  async write(rejects: readonly Reject[]): Promise<void> {
    if (rejects.length > 0) process.stderr.write(rejects.map((r) => 'dead-letter ' + line(r)).join(''));
  }
  async close(): Promise<void> {}
}

/** Keeps rejects in memory: tests and backtests read them back. */
export class MemoryDeadLetter implements DeadLetterOutput {
  readonly rejects: Reject[] = [];
  async write(rejects: readonly Reject[]): Promise<void> {
    this.rejects.push(...rejects);
  }
  async close(): Promise<void> {}
}
