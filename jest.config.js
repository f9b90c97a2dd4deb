/** Three projects: fast deterministic unit tests beside the code and in test/unit, integration
 *  tests against real servers in test/integration, and fault drills (test/drills) that kill, pause
 *  and wipe servers of their own. `npm test` runs the first two; `npm run drills` the third, in band
 *  (drills share their servers and inject faults into them, so they cannot run side by side). */
const transform = { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] };
module.exports = {
  projects: [
    {
      displayName: 'unit',
      transform,
      testEnvironment: 'node',
      testMatch: ['<rootDir>/{core,config,detectors,ingest,alerts,api,sinks,state,cli,bench,backtest}/**/*.test.ts', '<rootDir>/test/unit/**/*.test.ts', '<rootDir>/test/scenario/**/*.test.ts'],
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
      displayName: 'drills',
      transform,
      testEnvironment: 'node',
      testMatch: ['<rootDir>/test/drills/**/*.drill.test.ts'],
      globalSetup: '<rootDir>/test/drills/global-setup.ts',
      globalTeardown: '<rootDir>/test/drills/global-teardown.ts',
      slowTestThreshold: 120,
    },
  ],
};
