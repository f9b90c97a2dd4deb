#!/usr/bin/env node
/**
 * The console feed's share of a worker's CPU, from a V8 CPU profile of the worker — a figure
 * that does not move with the load of a shared machine the way CPU per event does (both runs
 * of a pair see the same neighbours; here one run's samples are split). Profile a worker with
 * `FW_BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR" node bench/console/feed-cpu.cjs ...`, then
 * `node bench/console/feed-share.cjs DIR/*.cpuprofile`. A sample counts for the feed when its
 * stack holds the feed's store read, its serialising or its pushes (console/feed.js,
 * console/board-cache.js, console/board.js, the API's activeAlerts, which only the feed calls
 * in that bench); socket writes outside those stacks (Node flushes corked writes later) are
 * shown apart. Idle samples are left out; garbage collection is shown but not attributed.
 */
const fs = require('node:fs');

const FEED = [
  ['read', 'board-cache.js'],
  ['read', 'feed.js'],
  ['push', 'feed.js'],
  ['subscribe', 'feed.js'],
  ['activeAlerts', 'commands.js'],
  ['boardState', 'board.js'],
  ['readBoard', 'board.js'],
];
const WRITES = [
  ['_writev', 'node:net'],
  ['_writeGeneric', 'node:net'],
  ['writevGeneric', 'stream_base_commons'],
  ['writeGeneric', 'stream_base_commons'],
];
const has = (list, f) => list.some(([fn, url]) => f.functionName === fn && f.url.endsWith(url));

for (const file of process.argv.slice(2)) {
  const p = JSON.parse(fs.readFileSync(file, 'utf8'));
  const nodes = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const time = new Map();
  p.samples.forEach((s, i) => time.set(s, (time.get(s) ?? 0) + p.timeDeltas[i]));
  let busy = 0;
  let gc = 0;
  let feed = 0;
  let writes = 0;
  for (const [id, t] of time) {
    const f = nodes.get(id).callFrame;
    if (f.functionName === '(idle)') continue;
    busy += t;
    if (f.functionName === '(garbage collector)') gc += t;
    let inFeed = false;
    let inWrite = false;
    for (let x = id; x !== undefined; x = parent.get(x)) {
      const cf = nodes.get(x).callFrame;
      inFeed ||= has(FEED, cf);
      inWrite ||= has(WRITES, cf);
    }
    if (inFeed) feed += t;
    else if (inWrite) writes += t;
  }
  const ms = (us) => Math.round(us / 1000);
  const pct = (us) => ((100 * us) / busy).toFixed(1);
  console.log(
    `${file}: busy ${ms(busy)} ms (gc ${ms(gc)}); console feed ${ms(feed)} ms = ${pct(feed)} %; other socket writes ${ms(writes)} ms = ${pct(writes)} %`,
  );
}
