/** FileDeadLetter against the real file system: failures reject with a code, never emit 'error'. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Reject } from '../core/types';
import { FileDeadLetter } from './dead-letter';

const reject = (i: number): Reject => ({ at: Date.UTC(2026, 11, 6) + i, stream: "funds", reason: "missing_field", detail: "no key", raw: `{"x":${i}}` });

let dir: string;
beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'fw-dl-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

it('rejects with FW_DEAD_LETTER and the cause on a full device (/dev/full: ENOSPC)', async () => {
  const dl = new FileDeadLetter('/dev/full');
  const err = await dl.write([reject(1)]).then(() => null, (e: unknown) => e);
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
  const lines = readFileSync(path.join(blocker, 'dead.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).raw);
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
  await dl.write([makeReject('funds', 'malformed', 'not valid JSON', bytes, 1, 'topic/0/7'), makeReject('funds', 'malformed', 'not valid JSON', Buffer.from('{"a":'), 2)]);
  await dl.close();
  const [binary, text] = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  expect(binary.encoding).toBe('base64');
  expect(Buffer.from(binary.raw, 'base64').equals(bytes)).toBe(true);
  expect(text).toMatchObject({ raw: '{"a":' });
  expect(text.encoding).toBeUndefined();
});
