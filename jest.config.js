/** Two projects: fast deterministic unit tests beside the code and in test/unit,
 *  and integration tests against real servers in test/integration. */
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
  ],
};
