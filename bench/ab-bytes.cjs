#!/usr/bin/env node
/**
 * Two builds give the same alerts, rejects and committed bytes on the inproc workload:
 *   node bench/ab-bytes.cjs BASE_DIR NEW_DIR [--events N] [--keys K] [--idle-ttl MS] [--spacing MS]
 * BASE_DIR and NEW_DIR are checkouts with dist/ built. Both pipelines judge the same payloads batch
 * by batch (processBatch, advance, takeChanges, as the runner does) and every batch's alerts and
 * change set (each scope's ids and stored bytes, deletions included) are compared; the first
 * difference is printed and the exit code is 1. `--idle-ttl` shortens state.idle_ttl so keys are
 * dropped as idle and come back (the state release path); `--spacing` is the event time between
 * payloads (default 0.01 ms, the inproc bench's 100k events/s; larger lets keys go idle). For a layout change that must not
 * change what is committed (issue 22, docs/bench.md).
 */
const path = require('node:path');

function load(dir, idleTtl) {
  const r = (m) => require(path.join(dir, 'dist', m));
  const config = r('config/load.js').loadDefaultConfig();
  if (idleTtl > 0) config.state.idle_ttl = idleTtl;
  const p = new (r('worker/pipeline.js').Pipeline)(config, r('kernel/logger.js').silentLogger());
  p.keepObservations(false);
  return { p, inproc: r('bench/inproc.js'), Workload: r('bench/workload.js').Workload };
}

function changesText(changes) {
  const out = [];
  for (const [scope, m] of changes)
    for (const [id, v] of m) out.push(`${scope} ${JSON.stringify(id)} ${v === null ? 'null' : Buffer.from(v).toString('base64')}`);
  return out;
}

function main() {
  const argv = process.argv.slice(2);
  const opt = (name, dflt) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? Number(argv[i + 1]) : dflt;
  };
  const dirs = argv.filter((x, i) => !x.startsWith('--') && !(argv[i - 1] ?? '').startsWith('--'));
  const [events, keys, idleTtl, spacing] = [opt('events', 300_000), opt('keys', 10_000), opt('idle-ttl', 0), opt('spacing', 0.01)];
  if (dirs.length !== 2 || !(events > 0) || !(keys > 0) || !(spacing > 0)) {
    console.error('usage: node bench/ab-bytes.cjs BASE_DIR NEW_DIR [--events N] [--keys K] [--idle-ttl MS] [--spacing MS]');
    process.exit(2);
  }
  const a = load(path.resolve(dirs[0]), idleTtl);
  const b = load(path.resolve(dirs[1]), idleTtl);
  const set = a.inproc.buildPayloads(
    new a.Workload({ flows: ['people', 'goods', 'funds'], keys, skew: 0 }),
    events,
    Math.floor(Date.now() / 60_000) * 60_000 - 3_600_000 - Math.ceil(events * spacing),
    spacing,
  );
  let rows = 0;
  let deleted = 0;
  let alerts = 0;
  for (let i = 0; i < events; i += 1000) {
    const end = Math.min(events, i + 1000);
    const now = set.t0 + Math.floor((end - 1) * set.spacingMs);
    const one = (x) => {
      const res = x.p.processBatch(a.inproc.makeRecords(set, i, end), now, 'default');
      const adv = x.p.advance(now);
      const all = [...res.alerts, ...adv].map((al) => JSON.stringify(al));
      return { alerts: all, rejects: res.rejects.length, changes: changesText(x.p.takeChanges()) };
    };
    const x = one(a);
    const y = one(b);
    const diff = (what, p, q) => {
      for (let k = 0; k < Math.max(p.length, q.length); k++)
        if (p[k] !== q[k]) {
          console.log(JSON.stringify({ same: false, batchFrom: i, what, index: k, base: p[k]?.slice(0, 400), new: q[k]?.slice(0, 400) }));
          process.exit(1);
        }
    };
    diff('alerts', x.alerts, y.alerts);
    diff('rejects', [String(x.rejects)], [String(y.rejects)]);
    diff('changes', x.changes, y.changes);
    alerts += x.alerts.length;
    for (const c of x.changes) {
      if (c.endsWith(' null')) deleted++;
      else rows++;
    }
  }
  console.log(JSON.stringify({ same: true, events, keys, idleTtl, spacing, alerts, changedValues: rows, deletions: deleted }));
}

main();
