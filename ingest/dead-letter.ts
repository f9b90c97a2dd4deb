import { mkdir, open, type FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import { FlowwatchError } from '../core/errors';
import type { Reject } from '../core/types';

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
  return JSON.stringify({ at: new Date(r.at).toISOString(), stream: r.stream, reason: r.reason, detail: r.detail, source: r.source, raw: r.raw, ...(r.encoding ? { encoding: r.encoding } : {}) }) + '\n';
}

/** The errno code of a failed fs call ("ENOSPC", "EROFS", ...), for messages. */
function codeOf(err: unknown): string {
  const c = (err as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : 'error';
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
 * Duplicates remain possible only as the at-least-once contract says: a crash after the write
 * and before the offset commit re-delivers the batch, and its rejects are written again.
 */
export class FileDeadLetter implements DeadLetterOutput {
  private handle?: FileHandle;
  /** Bytes of the file known to be whole lines (its size when opened, plus good writes). */
  private end = 0;
  constructor(readonly file: string) {}

  async write(rejects: readonly Reject[]): Promise<void> {
    if (rejects.length === 0) return;
    const data = Buffer.from(rejects.map(line).join(''));
    let handle: FileHandle | undefined;
    try {
      handle = await this.open();
      for (let off = 0; off < data.length; ) {
        // O_APPEND: each write lands at the current end; a short write (disk filling up) is continued.
        const { bytesWritten } = await handle.write(data, off, data.length - off);
        off += bytesWritten;
      }
      await handle.datasync();
      this.end += data.length;
    } catch (err) {
      if (handle) await this.discard(handle);
      throw new FlowwatchError('FW_DEAD_LETTER', `dead-letter file ${this.file}: cannot write ${rejects.length} reject${rejects.length === 1 ? '' : 's'} (${codeOf(err)})`, {
        cause: err,
        details: { file: this.file, rejects: rejects.length },
      });
    }
  }

  async close(): Promise<void> {
    const h = this.handle;
    this.handle = undefined;
    await h?.close();
  }

  private async open(): Promise<FileHandle> {
    if (this.handle) return this.handle;
    await mkdir(path.dirname(path.resolve(this.file)), { recursive: true });
    const h = await open(this.file, 'a');
    try {
      this.end = (await h.stat()).size;
    } catch (err) {
      await h.close().catch(() => undefined);
      throw err;
    }
    this.handle = h;
    return h;
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
