#!/usr/bin/env node
/**
 * The top self-time items of V8 CPU profiles (`node --cpu-prof`, e.g. the backlog bench's
 * `--worker-node-args "--cpu-prof --cpu-prof-dir=DIR"`):
 *   node bench/profile-top.cjs [--top N] DIR/*.cpuprofile
 * Self time per function (name, file, line), in % of all samples and of the non-idle ones,
 * from the samples' time deltas. The worker's main thread is the profile with the most samples.
 */
const fs = require('node:fs');

const args = process.argv.slice(2);
let top = 25;
const files = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--top') top = Number(args[++i]);
  else files.push(args[i]);
}
if (files.length === 0 || !(top > 0)) {
  console.error('usage: node bench/profile-top.cjs [--top N] FILE.cpuprofile...');
  process.exit(2);
}

/** A package's files by package (kafkajs/src/protocol/recordBatch/v2/index.js → kafkajs/…/v2/index.js), ours by folder. */
/** The package, or our top folder (dist/<folder>/…), or node (its own modules and natives). */
function component(f) {
  if (!f.url) return f.functionName.startsWith('(') ? f.functionName : 'node (native)';
  if (f.url.startsWith('node:')) return 'node';
  const parts = f.url.replace(/^file:\/\//, '').split('/');
  const nm = parts.lastIndexOf('node_modules');
  if (nm >= 0) return parts[nm + 1].startsWith('@') ? `${parts[nm + 1]}/${parts[nm + 2]}` : parts[nm + 1];
  const dist = parts.lastIndexOf('dist');
  return dist >= 0 ? `${parts[dist + 1]}/` : parts.slice(-2).join('/');
}

function place(url) {
  const parts = url.replace(/^file:\/\//, '').split('/');
  const nm = parts.lastIndexOf('node_modules');
  const tail = parts.slice(-2).join('/');
  if (nm >= 0) return `${parts[nm + 1]}/…/${tail}`;
  return url.startsWith('node:') ? url : tail;
}

for (const file of files) {
  const p = JSON.parse(fs.readFileSync(file, 'utf8'));
  const nodes = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const byComponent = new Map();
  let total = 0;
  let idle = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.timeDeltas[i] ?? 0;
    const f = nodes.get(p.samples[i]).callFrame;
    total += dt;
    if (f.functionName === '(idle)') idle += dt;
    const where = f.url ? `${place(f.url)}:${f.lineNumber + 1}` : '';
    const key = `${f.functionName || '(anonymous)'} ${where}`.trim();
    self.set(key, (self.get(key) ?? 0) + dt);
    const c = component(f);
    byComponent.set(c, (byComponent.get(c) ?? 0) + dt);
  }
  const busy = total - idle;
  console.log(`${file}: ${(total / 1e6).toFixed(1)} s sampled, idle ${((idle / total) * 100).toFixed(1)} %`);
  const pct = (t) => ((t / total) * 100).toFixed(1);
  console.log(
    `  by component: ${[...byComponent]
      .sort((a, b) => b[1] - a[1])
      .map(([c, t]) => `${c} ${pct(t)} %`)
      .join(', ')}`,
  );
  console.log('  % all   % busy  self');
  for (const [k, t] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(
      `  ${((t / total) * 100).toFixed(1).padStart(5)}  ${k === '(idle)' ? '     -' : ((t / busy) * 100).toFixed(1).padStart(6)}  ${k}`,
    );
}
