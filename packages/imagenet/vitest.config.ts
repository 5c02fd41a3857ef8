import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'imagenet',
    include: ['src/**/*.test.ts'],
    // Generous: CI runs every package's suite at once on 2 cores (turbo), so hooks that decode
    // images or start worker threads can take many times their quiet-machine time.
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
