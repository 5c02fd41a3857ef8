import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'example-tiny-cnn',
    include: ['src/**/*.test.ts'],
    // Generous: CI runs every package's suite at once on 2 cores (turbo), so hooks that build an
    // AlexNet or start a benchmark child process can take many times their quiet-machine time.
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
