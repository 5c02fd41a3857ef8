import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'cuda',
    include: ['src/**/*.test.ts'],
    // Each test file in its own process: the stub driver (test/stub) and the real libcuda.so.1 share
    // a soname, so a process that loaded one must never be asked for the other.
    pool: 'forks',
    isolate: true,
    globalSetup: ['./test/global-setup.ts'],
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
