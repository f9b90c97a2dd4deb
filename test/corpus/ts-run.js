#!/usr/bin/env node
/**
 * Runs a TypeScript file of this repo directly, for the corpus scripts:
 *   node test/corpus/ts-run.js test/corpus/generate.ts --seed 2 --out /tmp/corpus
 * Compiles each .ts module on require with @swc/core (a dev dependency, the same compiler jest uses).
 */
const fs = require('node:fs');
const path = require('node:path');
const { transformSync } = require('@swc/core');

require.extensions['.ts'] = function compileTs(module, filename) {
  const source = fs.readFileSync(filename, 'utf8');
  const { code } = transformSync(source, {
    filename,
    sourceMaps: 'inline',
    jsc: { target: 'es2022', parser: { syntax: 'typescript' } },
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};

const [script, ...args] = process.argv.slice(2);
if (!script) {
  process.stderr.write('usage: node test/corpus/ts-run.js FILE.ts [args...]\n');
  process.exit(2);
}
const file = path.resolve(script);
process.argv = [process.argv[0], file, ...args];
require.main = undefined;
const mod = new (require('node:module'))(file, null);
mod.filename = file;
mod.paths = require('node:module')._nodeModulePaths(path.dirname(file));
process.mainModule = mod;
require.cache[file] = mod;
mod.id = '.';
Object.defineProperty(require, 'main', { value: mod, configurable: true });
mod.load(file);
