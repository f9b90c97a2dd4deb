// ESLint 9 flat config. typescript-eslint's recommended rules, syntactic only: the type-checked set
// would build a TypeScript program of the whole repo on every run (slow on a 2-core machine), and
// `npm run typecheck` checks types already. eslint-config-prettier comes last and turns off every
// rule that is about formatting, so ESLint and Prettier never disagree (Prettier owns the layout).
// On top: two readability limits, functions that fit one screen and at most six parameters.
import { defineConfig } from 'eslint/config';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import globals from 'globals';

/** Node's globals, for the few plain JavaScript files (TypeScript files get theirs from @types/node). */
const nodeGlobals = Object.fromEntries(
  [
    'require',
    'module',
    'exports',
    'process',
    'console',
    '__dirname',
    '__filename',
    'Buffer',
    'setTimeout',
    'clearTimeout',
    'setInterval',
    'clearInterval',
    'setImmediate',
  ].map((g) => [g, 'readonly']),
);

export default defineConfig(
  {
    // Build output, installed packages, local servers' data; test fixtures and config test cases
    // are data (some deliberately broken), not code.
    ignores: ['dist/', 'coverage/', 'out/', '.services/', 'test/fixtures/', 'config/testdata/'],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // One screen: about 80 lines of code, blank lines and comments not counted.
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true, IIFEs: true }],
      'max-params': ['error', { max: 6 }],
      // A leading underscore marks a binding that is unused on purpose: a positional parameter
      // before one that is used, or a key taken out of an object with a rest pattern (`{ a: _a, ...rest }`).
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
      // require() is used for one thing: reading package.json's version from either dist/<dir>/ or
      // the sources (two depths), which a static import cannot express.
      '@typescript-eslint/no-require-imports': ['error', { allow: ['/package\\.json$'] }],
      // prom-client calls a metric's collect() with the metric as `this`; the owner that collect()
      // reads from is then named `self` (api/metrics.ts). Any other alias of `this` is still an error.
      '@typescript-eslint/no-this-alias': ['error', { allowedNames: ['self'] }],
      // no-constant-condition stays on: ESLint 9's default for it (checkLoops: 'allExceptWhileTrue')
      // already accepts the deliberate `while (true)` loops and still flags other constant tests.
    },
  },
  {
    // The plain JavaScript files (bin/, jest's and dependency-cruiser's configs, the corpus
    // scripts' TypeScript loader) are CommonJS scripts run by Node.
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: nodeGlobals },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The duty console's browser script (console/assets/): an ES module run by the browser, with
    // the browser's globals (globals' list, as ESLint documents) instead of Node's.
    files: ['console/assets/**/*.js'],
    languageOptions: { sourceType: 'module', globals: globals.browser },
  },
  {
    // Tests are read one case at a time: a describe() block is long by nature. They also read
    // untyped JSON answers (HTTP bodies, parsed payloads) in assertions, where `any` is the honest
    // type and a cast per property would only add noise. The same holds for test helpers.
    files: ['**/*.test.ts', 'test/**', '**/testing.ts', '**/testing/**'],
    rules: {
      'max-lines-per-function': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  prettier,
);
