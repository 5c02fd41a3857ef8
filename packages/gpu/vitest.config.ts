import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'gpu',
    include: ['src/**/*.test.ts'],
    // CI runs every package's suite at once on 2 cores; gpu.js compiles each kernel on first use.
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
