import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

export default defineConfig({
  plugins: [react()],
  test: {
    include: ['src/**/*.test.{ts,tsx}', 'tests/**/*.test.{ts,tsx}'],
    environment: 'node',
    testTimeout: 30_000,
    // The default summary, then one plain "N passed, N failed" line that any CI log reader understands.
    reporters: ['default', './tests/support/plain-summary-reporter.ts'],
  },
});
