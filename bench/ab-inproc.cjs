#!/usr/bin/env node
/**
 * Two builds' CPU per event on the inproc path, compared where a loaded box cannot tell them apart
 * by separate runs (docs/bench.md, "Issue 22: CPU per event"):
 *   node bench/ab-inproc.cjs BASE_DIR NEW_DIR [--events N] [--keys K] [--pairs P] [--batch B]
 * BASE_DIR and NEW_DIR are checkouts with dist/ built (`npm run build`). Both builds run in one
 * process over the same payloads, batch by batch (ceiling, then the two pipelines, their order
 * alternating per batch), and each phase is timed in process CPU time (process.cpuUsage), so time
 * the process spends descheduled is not counted. Even so, the build loaded second measured 2–7 %
 * faster than the same build loaded first; so each pair is run in a child process per load order
 * and the two orders' new/base ratios are combined (geometric mean). One JSON line per pair.
 */
const { execFileSync } = require('node:child_process');
const os = require('node:os');
const path = require('node:path');

/** One child's run: `first` loaded first; times per phase in µs per event. */
function child(first, second, events, keys, batch) {
  const load = (dir) => {
    process.chdir(dir);
    const r = (m) => require(path.join(dir, 'dist', m));
    const p = new (r('worker/pipeline.js').Pipeline)(r('config/load.js').loadDefaultConfig(), r('kernel/logger.js').silentLogger());
    p.keepObservations(false); // as the runner and the inproc bench run it
    return { p, inproc: r('bench/inproc.js'), Workload: r('bench/workload.js').Workload, proc: 0, chg: 0, alerts: 0 };
  };
  const a = load(first);
  const b = load(second);
  const cpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  const set = b.inproc.buildPayloads(
    new b.Workload({ flows: ['people', 'goods', 'funds'], keys, skew: 0 }),
    events,
    Math.floor(Date.now() / 60_000) * 60_000 - 3_600_000,
    0.01,
  );
  const run = (x, from, to, now, timed) => {
    const t0 = cpu();
    x.alerts += x.p.processBatch(x.inproc.makeRecords(set, from, to), now, 'default').alerts.length;
    x.p.advance(now);
    const t1 = cpu();
    x.p.takeChanges();
    if (timed) {
      x.proc += t1 - t0;
      x.chg += cpu() - t1;
    }
  };
  const warm = Math.floor(events / 5);
  let ceil = 0;
  let timedEvents = 0;
  for (let i = 0, k = 0; i < events; i += batch, k++) {
    const end = Math.min(events, i + batch);
    const now = set.t0 + Math.floor((end - 1) * set.spacingMs);
    const t = cpu();
    b.inproc.ceilingPass(set, i, end);
    if (i >= warm) {
      ceil += cpu() - t;
      timedEvents += end - i;
    }
    const [x, y] = k % 2 ? [a, b] : [b, a];
    run(x, i, end, now, i >= warm);
    run(y, i, end, now, i >= warm);
  }
  const n = timedEvents / 1000; // times per 1,000 events
  const out = (x) => ({ proc: x.proc / n, chg: x.chg / n, pipe: (x.proc + x.chg) / n, ratio: ceil / (x.proc + x.chg), alerts: x.alerts });
  return { ceil: ceil / n, first: out(a), second: out(b) };
}

function parent(base, next, events, keys, pairs, batch) {
  const once = (first, second) =>
    JSON.parse(
      execFileSync(process.execPath, [__filename, '--child', first, second, String(events), String(keys), String(batch)], {
        encoding: 'utf8',
      }),
    );
  const r3 = (x) => Math.round(x * 1000) / 1000;
  for (let i = 0; i < pairs; i++) {
    const loadBefore = os.loadavg()[0];
    const ab = once(base, next); // base loaded first
    const ba = once(next, base);
    const geo = (k) => r3(Math.sqrt((ab.second[k] / ab.first[k]) * (ba.first[k] / ba.second[k])));
    const us = (x) => ({ proc: r3(x.proc), chg: r3(x.chg), ratio: r3(x.ratio), alerts: x.alerts });
    const line = {
      newOverBase: { proc: geo('proc'), chg: geo('chg'), pipe: geo('pipe') },
      baseFirst: { ceil: r3(ab.ceil), base: us(ab.first), new: us(ab.second) },
      newFirst: { ceil: r3(ba.ceil), base: us(ba.second), new: us(ba.first) },
      load: [r3(loadBefore), r3(os.loadavg()[0])],
    };
    console.log(JSON.stringify(line));
  }
}

const argv = process.argv.slice(2);
if (argv[0] === '--child') {
  const [, first, second, events, keys, batch] = argv;
  process.stdout.write(JSON.stringify(child(path.resolve(first), path.resolve(second), Number(events), Number(keys), Number(batch))));
} else {
  const dirs = argv.filter((x, i) => !x.startsWith('--') && !(argv[i - 1] ?? '').startsWith('--'));
  const opt = (name, dflt) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? Number(argv[i + 1]) : dflt;
  };
  const [events, keys, pairs, batch] = [opt('events', 500_000), opt('keys', 10_000), opt('pairs', 2), opt('batch', 1000)];
  if (dirs.length !== 2 || !(events >= 10_000) || !(keys > 0) || !(pairs > 0) || !(batch >= 1)) {
    console.error('usage: node bench/ab-inproc.cjs BASE_DIR NEW_DIR [--events N ≥ 10000] [--keys K] [--pairs P] [--batch B]');
    process.exit(2);
  }
  parent(path.resolve(dirs[0]), path.resolve(dirs[1]), events, keys, pairs, batch);
}
