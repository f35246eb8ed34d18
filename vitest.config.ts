import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

export default defineConfig({
  plugins: [react()],
  test: {
    include: ['src/**/*.test.{ts,tsx}', 'tests/**/*.test.{ts,tsx}'],
    environment: 'node',
    testTimeout: 30_000,
    // Two files at a time: most tests are single-threaded JavaScript, and one at a time left the
    // second core of a 2-core CI machine idle for most of a 28-minute run.
    maxWorkers: 2,
    // The default summary, then one plain "N passed, N failed" line that any CI log reader understands.
    reporters: ['default', './tests/support/plain-summary-reporter.ts'],
  },
});
