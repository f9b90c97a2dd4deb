/** FileDeadLetter against the real file system: failures reject with a code, never emit 'error'. */
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import type { Logger } from '../kernel/logger';
import type { Reject } from '../kernel/types';
import { FileDeadLetter } from './dead-letter';

const reject = (i: number): Reject => ({
  at: Date.UTC(2026, 11, 6) + i,
  stream: 'funds',
  reason: 'missing_field',
  detail: 'no key',
  raw: `{"x":${i}}`,
});

let dir: string;
beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'fw-dl-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

it('rejects with FW_DEAD_LETTER and the cause on a full device (/dev/full: ENOSPC)', async () => {
  const dl = new FileDeadLetter('/dev/full');
  const err = await dl.write([reject(1)]).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toMatchObject({ code: 'FW_DEAD_LETTER', cause: { code: 'ENOSPC' } });
  expect((err as Error).message).toMatch(/dead-letter file \/dev\/full: cannot write 1 reject \(ENOSPC\)/);
  // and again, on the next attempt (the handle was reopened, not left broken)
  await expect(dl.write([reject(2)])).rejects.toMatchObject({ code: 'FW_DEAD_LETTER' });
  await dl.close();
});

it('recovers by itself once the path is writable, and writes each batch once', async () => {
  const blocker = path.join(dir, 'out');
  writeFileSync(blocker, 'not a directory');
  const dl = new FileDeadLetter(path.join(blocker, 'dead.jsonl'));
  await expect(dl.write([reject(1)])).rejects.toMatchObject({ code: 'FW_DEAD_LETTER' });
  rmSync(blocker);
  await dl.write([reject(1)]);
  await dl.write([reject(2), reject(3)]);
  await dl.close();
  const lines = readFileSync(path.join(blocker, 'dead.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l).raw);
  expect(lines).toEqual(['{"x":1}', '{"x":2}', '{"x":3}']);
});

it('appends to an existing file and leaves no file when nothing was rejected', async () => {
  const file = path.join(dir, 'dead.jsonl');
  const dl = new FileDeadLetter(file);
  await dl.write([]);
  expect(() => readFileSync(file)).toThrow(/ENOENT/);
  writeFileSync(file, '{"earlier":true}\n');
  await dl.write([reject(1)]);
  await dl.close();
  expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(2);
});

it('keeps a binary record exactly: bytes that are not UTF-8 are written as base64 with encoding, text as text', async () => {
  const { makeReject } = await import('./decode/decoder');
  const bytes = Buffer.alloc(512);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 37 + 11) & 0xff; // not valid UTF-8
  const file = path.join(dir, 'dead.jsonl');
  const dl = new FileDeadLetter(file);
  await dl.write([
    makeReject('funds', 'malformed', 'not valid JSON', bytes, 1, 'topic/0/7'),
    makeReject('funds', 'malformed', 'not valid JSON', Buffer.from('{"a":'), 2),
  ]);
  await dl.close();
  const [binary, text] = readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  expect(binary.encoding).toBe('base64');
  expect(Buffer.from(binary.raw, 'base64').equals(bytes)).toBe(true);
  expect(text).toMatchObject({ raw: '{"a":' });
  expect(text.encoding).toBeUndefined();
});

describe('written once under replay (a batch re-read after a stop between its dead letters and its state commit)', () => {
  const kafka = (i: number, source: string): Reject => ({ ...reject(i), source });
  const read = (file: string): string[] =>
    readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).source ?? JSON.parse(l).raw);

  it('a new writer on the same file skips the rejects it already holds and appends only the new ones', async () => {
    const file = path.join(dir, 'dead.jsonl');
    const batch = [kafka(1, 'funds/0@3'), kafka(2, 'funds/0@7')];
    const first = new FileDeadLetter(file);
    await first.write(batch);
    await first.close(); // the worker stops before the batch's state commit
    const lines = captureLog();
    const next = new FileDeadLetter(file, { log: lines.log });
    await next.write([...batch, kafka(3, 'funds/0@8')]); // the batch re-read, with the records after it
    await next.write([kafka(4, 'funds/0@12')]);
    await next.close();
    expect(read(file)).toEqual(['funds/0@3', 'funds/0@7', 'funds/0@8', 'funds/0@12']);
    expect(lines.records).toContainEqual(
      expect.objectContaining({ skipped: 2, writing: 1, partitions: { 'funds/0': { skipped: 2, written: '7' } } }),
    );
  });

  it('skips within one writer too (a partition revoked and assigned back re-reads its batch)', async () => {
    const file = path.join(dir, 'dead.jsonl');
    const dl = new FileDeadLetter(file);
    await dl.write([kafka(1, 'funds/0@3')]);
    await dl.write([kafka(1, 'funds/0@3')]);
    await dl.close();
    expect(read(file)).toEqual(['funds/0@3']);
  });

  it('always writes rejects without an offset (file and simulator sources)', async () => {
    const file = path.join(dir, 'dead.jsonl');
    const batch = [kafka(1, 'data/in.csv:4'), reject(2), kafka(3, 'simulator')];
    const first = new FileDeadLetter(file);
    await first.write(batch);
    await first.close();
    const next = new FileDeadLetter(file);
    await next.write(batch);
    await next.close();
    expect(read(file)).toEqual(['data/in.csv:4', '{"x":2}', 'simulator', 'data/in.csv:4', '{"x":2}', 'simulator']);
  });

  it("compares offsets within a partition only: one partition's offsets do not mask another's", async () => {
    const file = path.join(dir, 'dead.jsonl');
    const first = new FileDeadLetter(file);
    await first.write([kafka(1, 'funds/0@500')]);
    await first.write([kafka(2, 'goods/1@40')]);
    await first.close();
    const next = new FileDeadLetter(file);
    await next.write([
      kafka(3, 'funds/1@5'),
      kafka(4, 'goods/0@6'),
      kafka(5, 'funds/0@500'),
      kafka(6, 'goods/1@41'),
      kafka(7, 'funds/0@9'),
    ]);
    await next.close();
    expect(read(file)).toEqual(['funds/0@500', 'goods/1@40', 'funds/1@5', 'goods/0@6', 'goods/1@41']);
  });

  it('keeps every reject of one record that shares an offset, and compares offsets as 64-bit integers', async () => {
    const file = path.join(dir, 'dead.jsonl');
    const dl = new FileDeadLetter(file);
    await dl.write([kafka(1, 'funds/0@9007199254740993'), kafka(2, 'funds/0@9007199254740993')]);
    await dl.close();
    const next = new FileDeadLetter(file);
    await next.write([kafka(1, 'funds/0@9007199254740993'), kafka(3, 'funds/0@9007199254740994')]);
    await next.close();
    expect(read(file)).toEqual(['funds/0@9007199254740993', 'funds/0@9007199254740993', 'funds/0@9007199254740994']);
  });

  it('learns from a bounded tail only: a partial first line is ignored, older offsets are not read', async () => {
    const file = path.join(dir, 'dead.jsonl');
    const first = new FileDeadLetter(file);
    await first.write([kafka(1, 'funds/0@1')]);
    await first.write([kafka(2, 'goods/0@2')]);
    await first.close();
    const size = readFileSync(file).length;
    const lastLine = readFileSync(file, 'utf8').trim().split('\n')[1].length + 1;
    // The tail holds the last line and a few bytes of the first: funds/0@1 is not learned.
    const next = new FileDeadLetter(file, { tailBytes: lastLine + 5 });
    await next.write([kafka(2, 'goods/0@2'), kafka(1, 'funds/0@1')]);
    await next.close();
    expect(size).toBeGreaterThan(lastLine + 5);
    expect(read(file)).toEqual(['funds/0@1', 'goods/0@2', 'funds/0@1']);
  });

  it('cuts a torn last line back to the last whole line, and ends a whole line written without its newline', async () => {
    const torn = path.join(dir, 'torn.jsonl');
    const first = new FileDeadLetter(torn);
    await first.write([kafka(1, 'funds/0@1')]);
    await first.close();
    appendFileSync(torn, '{"at":"2026-12-06T00:00:00.002Z","stream":"funds","sou');
    const next = new FileDeadLetter(torn);
    await next.write([kafka(2, 'funds/0@2'), kafka(1, 'funds/0@1')]);
    await next.close();
    expect(read(torn)).toEqual(['funds/0@1', 'funds/0@2']);

    const unended = path.join(dir, 'unended.jsonl');
    writeFileSync(unended, JSON.stringify({ source: 'funds/0@1', raw: 'x' }));
    const dl = new FileDeadLetter(unended);
    await dl.write([kafka(1, 'funds/0@1'), kafka(2, 'funds/0@2')]);
    await dl.close();
    expect(read(unended)).toEqual(['funds/0@1', 'funds/0@2']);
  });

  it('a failed write records no offset: its retry writes the batch, once', async () => {
    const blocker = path.join(dir, 'out');
    writeFileSync(blocker, 'not a directory');
    const dl = new FileDeadLetter(path.join(blocker, 'dead.jsonl'));
    await expect(dl.write([kafka(1, 'funds/0@1')])).rejects.toMatchObject({ code: 'FW_DEAD_LETTER' });
    rmSync(blocker);
    await dl.write([kafka(1, 'funds/0@1')]);
    await dl.close();
    expect(read(path.join(blocker, 'dead.jsonl'))).toEqual(['funds/0@1']);
  });

  it('serialises concurrent writes (partitions run concurrently): each line whole, each batch once', async () => {
    const file = path.join(dir, 'dead.jsonl');
    const dl = new FileDeadLetter(file);
    await Promise.all([0, 1, 2, 3].map((p) => dl.write([kafka(p, `funds/${p}@10`), kafka(p, `funds/${p}@11`)])));
    await Promise.all([0, 1, 2, 3].map((p) => dl.write([kafka(p, `funds/${p}@11`)])));
    await dl.close();
    expect(read(file).sort()).toEqual([
      'funds/0@10',
      'funds/0@11',
      'funds/1@10',
      'funds/1@11',
      'funds/2@10',
      'funds/2@11',
      'funds/3@10',
      'funds/3@11',
    ]);
  });
});

/** A pino logger that keeps its records, to assert what was logged. */
function captureLog(): { log: Logger; records: Array<Record<string, unknown>> } {
  const records: Array<Record<string, unknown>> = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => void records.push(JSON.parse(s)) });
  return { log, records };
}
