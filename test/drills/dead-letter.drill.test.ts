/**
 * The dead-letter path fails: its filesystem is full (a 16 KiB tmpfs, filled up) or read-only (a
 * read-only bind mount). The worker must not exit, and once the path works again every dead letter
 * is there exactly once, with state and alerting exactly the clean run's. Needs root (mount).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { killAllWorkers } from '../support/workers';
import { closeRedisClient, differences, Drill, groundTruth, type Outcome } from './support/drill';

jest.setTimeout(300_000);

/** How long the path stays broken while records (and their dead letters) keep coming. */
const BROKEN_MS = 8_000;

const mounted: string[] = [];
function mount(...args: string[]): void {
  execFileSync('mount', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

let clean: Outcome;
beforeAll(async () => {
  clean = await groundTruth();
}, 300_000);
afterAll(async () => {
  await killAllWorkers();
  await closeRedisClient();
  for (const m of mounted.reverse()) {
    try {
      execFileSync('umount', [m]);
    } catch {
      // already unmounted by its test
    }
  }
});

async function brokenPath(name: string, breakIt: (dir: string) => void, fixIt: (dir: string) => void): Promise<void> {
  const d = await Drill.open(name);
  const dir = path.join(d.mode.dir, 'dead-letter-mount');
  mkdirSync(dir, { recursive: true });
  d.deadLetterDir = dir;
  breakIt(dir);
  const w = d.worker('w1', { dead_letter: { type: 'file', path: path.join(dir, 'dead-letter-w1.jsonl') } });
  await d.produceAll();
  await new Promise((r) => setTimeout(r, BROKEN_MS)); // bad records arrive while the path is broken
  expect({ running: w.running, log: w.running ? '' : w.tail() }).toEqual({ running: true, log: '' });
  fixIt(dir);
  await d.settle();
  await d.stopAll();
  expect(differences(clean, await d.outcome())).toEqual({});
}

it('dead-letter filesystem full: no exit, no dead letter lost after space comes back', async () => {
  await brokenPath(
    'dead-letter-full',
    (dir) => {
      mount('-t', 'tmpfs', '-o', 'size=16k', 'tmpfs', dir);
      mounted.push(dir);
      try {
        writeFileSync(path.join(dir, 'filler'), Buffer.alloc(64 * 1024)); // more than fits: fills it up
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
      }
    },
    (dir) => rmSync(path.join(dir, 'filler')),
  );
});

it('dead-letter path read-only: no exit, no dead letter lost after it is writable again', async () => {
  await brokenPath(
    'dead-letter-readonly',
    (dir) => {
      mount('--bind', dir, dir);
      mounted.push(dir);
      mount('-o', 'remount,ro,bind', dir);
    },
    (dir) => mount('-o', 'remount,rw,bind', dir),
  );
});
