import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'example-browser',
    include: ['src/**/*.test.ts'],
    // Generous: CI runs every package's suite at once on 2 cores (turbo); the browser test starts
    // Chromium and compiles gpu.js kernels on a software GPU.
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
