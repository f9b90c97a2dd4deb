/**
 * The import direction of the house (ARCHITECTURE.md): each folder may import only folders on
 * its own floor or below. kernel/ imports nothing of ours; the stages import each other only
 * along the flow ingest → detectors → alerts → sinks (a later stage may use an earlier one's
 * types, never the reverse); config/ composes the stages' schemas; worker/ composes the stages;
 * api/, backtest/, bench/ and cli/ sit on top. `npm run lint:imports` checks it; .ci/run runs it.
 * Tests (*.test.ts) may reach across floors to set things up.
 */
const FLOORS = [
  ['kernel'],
  ['expression', 'state'],
  ['ingest'],
  ['detectors'],
  ['alerts'],
  ['sinks'],
  ['config'],
  ['worker'],
  ['api', 'console', 'backtest'],
  ['bench', 'cli'],
];

const floorOf = new Map(FLOORS.flatMap((folders, i) => folders.map((f) => [f, i])));
const above = (i) => FLOORS.slice(i + 1).flat();

const layerRules = [...floorOf]
  .map(([folder, i]) => ({
    name: `${folder}-imports-down`,
    comment:
      i === 0
        ? 'kernel/ is the ground floor: it imports nothing of ours'
        : `${folder}/ may not import a folder above it (${above(i).join(', ')})`,
    severity: 'error',
    from: { path: `^${folder}/`, pathNot: '\\.test\\.ts$' },
    to: i === 0 ? { path: '^(?!kernel/)[a-z]+/', pathNot: '^node_modules/' } : { path: `^(${above(i).join('|')})/` },
  }))
  .filter((r) => r.to.path !== '^()/');

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'no-test-code-in-production',
      comment: 'production code may not import tests or test fakes',
      severity: 'error',
      from: { path: '^[a-z]+/', pathNot: ['\\.test\\.ts$', '/testing/', '^test/', '^bench/'] },
      to: { path: ['\\.test\\.ts$', '^test/'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['^dist/', '^node_modules/'] },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    moduleSystems: ['cjs', 'es6'],
  },
};
