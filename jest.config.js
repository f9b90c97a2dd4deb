/** Two projects: fast deterministic unit tests beside the code and in test/unit, and integration
 *  tests against real servers in test/integration. A third, the fault drills (test/drills), kills,
 *  pauses and wipes servers of its own: it exists only with FW_DRILLS=1, as `npm run drills` sets,
 *  and runs in band there (drills share their servers and inject faults into them). */
const transform = { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] };
const drills = {
  displayName: 'drills',
  transform,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/drills/**/*.drill.test.ts'],
  // Private Kafka, Redis and InfluxDB on ports of their own (test/drills/support/servers.ts).
  globalSetup: '<rootDir>/test/drills/global-setup.ts',
  globalTeardown: '<rootDir>/test/drills/global-teardown.ts',
  slowTestThreshold: 120,
};
module.exports = {
  // A ceiling against hangs, not a speed check: a few unit tests replay hours of flows (2–13 s on a
  // box at load 10), and jest's 5 s default failed one of them in a loaded CI run. (Jest reads it
  // here, not per project; integration and drill files set their own.)
  testTimeout: 60_000,
  projects: [
    {
      displayName: 'unit',
      transform,
      testEnvironment: 'node',
      testMatch: [
        '<rootDir>/{kernel,expression,worker,config,detectors,ingest,alerts,api,console,sinks,state,cli,bench,backtest}/**/*.test.ts',
        '<rootDir>/test/unit/**/*.test.ts',
        '<rootDir>/test/scenario/**/*.test.ts',
      ],
    },
    {
      displayName: 'integration',
      transform,
      testEnvironment: 'node',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      // Picks the servers (environment, testcontainers, or scripts/services) before any test runs.
      globalSetup: '<rootDir>/test/integration/global-setup.ts',
      globalTeardown: '<rootDir>/test/integration/global-teardown.ts',
      slowTestThreshold: 60,
    },
    {
      // The duty console in a real browser (playwright-core + Debian's chromium) against a worker
      // it starts itself (simulator, memory store): no Kafka or Redis. The setup installs chromium
      // when it is missing, so `npm test` runs these on a fresh machine too.
      displayName: 'browser',
      transform,
      testEnvironment: 'node',
      testMatch: ['<rootDir>/test/browser/**/*.test.ts'],
      globalSetup: '<rootDir>/test/browser/global-setup.ts',
      slowTestThreshold: 60,
    },
    ...(process.env.FW_DRILLS === '1' ? [drills] : []),
  ],
};
