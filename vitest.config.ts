import { defineConfig } from 'vitest/config';

// The code runs on Node 24 (type stripping, node:sqlite). `npm test` puts the pinned
// Node 24 from node_modules/.bin first on PATH; running vitest with another Node fails
// here, with the reason, instead of deep inside a test.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  throw new Error(`Node ${process.versions.node} is too old: run the tests with 'npm test' (it uses the pinned Node 24)`);
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
