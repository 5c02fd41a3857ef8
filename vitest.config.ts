import { defineConfig } from 'vitest/config';

// One vitest run over every workspace package (each package's own vitest.config.ts is a project).
// `pnpm test` goes through turbo so packages build first; `npx vitest` here is for editors.
export default defineConfig({
  test: {
    projects: ['packages/*', 'examples/*', 'benchmarks'],
  },
});
