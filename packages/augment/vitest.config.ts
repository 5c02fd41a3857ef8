import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'augment',
    include: ['src/**/*.test.ts'],
    // Generous: CI runs every package's suite at once on 2 cores (turbo), so the pack test (pnpm pack,
    // npm install) and the statistical tests can take many times their quiet-machine time.
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
