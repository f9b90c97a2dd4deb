#!/usr/bin/env node
'use strict';
// Memory vs latency, measured (docs/bench.md): with many keys (a heap of hundreds of MB) V8's
// default lets the heap grow up to ~2× over the live state between major collections, so a
// 100k-key worker sat at 500–600 MB resident; growing by 20 % keeps it near 430 MB. With a small
// heap the same setting only adds major collections (p99 at 26k events/s: 50 → 75–135 ms). So the
// growth is tightened only once the live heap is large. FLOWWATCH_HEAP_GROWTH=<percent> sets it
// for good; 0 keeps V8's default.
const v8 = require('node:v8');
const fixed = process.env.FLOWWATCH_HEAP_GROWTH;
if (fixed !== undefined && /^\d+$/.test(fixed)) {
  if (fixed !== '0') v8.setFlagsFromString(`--heap-growing-percent=${fixed}`);
} else {
  const LARGE = 192 * 1024 * 1024;
  let tight = false;
  setInterval(() => {
    const large = process.memoryUsage().heapUsed > LARGE;
    if (large === tight) return;
    tight = large;
    v8.setFlagsFromString(`--heap-growing-percent=${large ? 20 : 0}`);
  }, 2000).unref();
}

// Thin launcher: the CLI is compiled to dist/ by `npm ci` (the `prepare` script).
try {
  require('../dist/cli/main.js').main(process.argv);
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND' && String(err.message).includes('dist/cli/main')) {
    console.error('flowwatch: not built yet. Run `npm ci` (or `npm run build`) in the project folder first.');
    process.exit(1);
  }
  throw err;
}
