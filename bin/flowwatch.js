#!/usr/bin/env node
'use strict';
// A worker holds its per-key state for hours: let V8 grow the heap by 20 % over the live data
// between major collections instead of its default (up to ~2×), which keeps resident memory
// near the live state (100k keys: ~400 MB instead of 500–600 MB) for a few more incremental
// marks. FLOWWATCH_HEAP_GROWTH=<percent> changes it; 0 leaves V8's default.
const growth = process.env.FLOWWATCH_HEAP_GROWTH ?? '20';
if (/^\d+$/.test(growth) && growth !== '0') require('node:v8').setFlagsFromString(`--heap-growing-percent=${growth}`);

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
