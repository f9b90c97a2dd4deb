#!/usr/bin/env node
/**
 * Bytes the pipeline promotes to V8's old generation per event, in process — a figure the box's
 * load barely moves (CPU per event moved by ±25 % between runs on a shared box; what survives a
 * scavenge depends on what the code keeps alive, not on how fast it runs):
 *   node bench/gc-promoted.cjs DIR [--flows people,goods,funds] [--events N] [--keys K] [--batch B]
 * DIR is a checkout with dist/ built. Runs DIR's pipeline over the inproc workload's payloads in
 * batches (process, advance, change set, as the runner does), under `--trace-gc --trace-gc-nvp`,
 * and sums the scavenges' `promoted=` bytes over the last two thirds (the first third warms up:
 * every key's state created once). docs/bench.md, "where the backlog worker's GC comes from".
 */
const { execFileSync } = require('node:child_process');
const path = require('node:path');

const MARK = 'GC-PROMOTED-MARK';

function child(dir, flows, events, keys, batch) {
  process.chdir(dir);
  const r = (m) => require(path.join(dir, 'dist', m));
  const p = new (r('worker/pipeline.js').Pipeline)(r('config/load.js').loadDefaultConfig(), r('kernel/logger.js').silentLogger());
  p.keepObservations(false); // as the runner runs it without series sinks
  const inproc = r('bench/inproc.js');
  const workload = new (r('bench/workload.js').Workload)({ flows, keys, skew: 0 });
  const set = inproc.buildPayloads(workload, events, Math.floor(Date.now() / 60_000) * 60_000 - 3_600_000, 0.01);
  const warm = Math.floor(events / 3);
  let timed = 0;
  let marked = false;
  for (let i = 0; i < events; i += batch) {
    const end = Math.min(events, i + batch);
    const now = set.t0 + Math.floor((end - 1) * set.spacingMs);
    if (i >= warm && !marked) {
      marked = true;
      process.stdout.write(`${MARK} start\n`);
    }
    p.processBatch(inproc.makeRecords(set, i, end), now, 'default');
    p.advance(now);
    p.takeChanges();
    if (marked) timed += end - i;
  }
  process.stdout.write(`${MARK} end ${timed}\n`);
}

function parent(dir, flows, events, keys, batch) {
  const out = execFileSync(
    process.execPath,
    ['--trace-gc', '--trace-gc-nvp', __filename, '--child', dir, flows.join(','), String(events), String(keys), String(batch)],
    { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 },
  );
  let on = false;
  let promoted = 0;
  let scavenges = 0;
  let timed = 0;
  for (const line of out.split('\n')) {
    if (line.startsWith(MARK)) {
      const [, what, n] = line.split(' ');
      if (what === 'start') on = true;
      else timed = Number(n);
      continue;
    }
    // A scavenge's name/value line: "... gc=s ... promoted=N ..."
    if (!on || !/\bgc=s\b/.test(line)) continue;
    const m = / promoted=(\d+)/.exec(line);
    if (m) {
      promoted += Number(m[1]);
      scavenges++;
    }
  }
  if (!(timed > 0)) throw new Error('no timed events: the child did not reach its measured part');
  console.log(
    JSON.stringify({
      dir: path.basename(dir),
      flows,
      events,
      keys,
      batch,
      timedEvents: timed,
      scavenges,
      promotedBytesPerEvent: Math.round(promoted / timed),
    }),
  );
}

const argv = process.argv.slice(2);
if (argv[0] === '--child') {
  const [, dir, flows, events, keys, batch] = argv;
  child(dir, flows.split(','), Number(events), Number(keys), Number(batch));
} else {
  const opt = (name, dflt) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : dflt;
  };
  const dirs = argv.filter((x, i) => !x.startsWith('--') && !(argv[i - 1] ?? '').startsWith('--'));
  const flows = String(opt('flows', 'people,goods,funds')).split(',');
  const [events, keys, batch] = [Number(opt('events', 600_000)), Number(opt('keys', 10_000)), Number(opt('batch', 1000))];
  if (dirs.length !== 1 || !(events >= 10_000) || !(keys > 0) || !(batch >= 1)) {
    console.error('usage: node bench/gc-promoted.cjs DIR [--flows people,goods,funds] [--events N ≥ 10000] [--keys K] [--batch B]');
    process.exit(2);
  }
  parent(path.resolve(dirs[0]), flows, events, keys, batch);
}
