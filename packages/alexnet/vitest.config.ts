import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'alexnet',
    include: ['src/**/*.test.ts'],
    testTimeout: 60_000,
  },
});
