import { describe, expect, it } from 'vitest';
import { STUB_NAME, useStubDriver } from '../../test/stub.js';
import { openDriver, PrimaryContext } from './context.js';
import { KernelModule, readFatbin } from './module.js';

const skip = useStubDriver();

describe.skipIf(skip !== null)(`fatbin module loading (${STUB_NAME})`, () => {
  it('resolves every named function at start-up and names the missing ones', () => {
    const ctx = new PrimaryContext(openDriver(), 0);
    try {
      const image = readFatbin();
      const m = new KernelModule(ctx, image, ['relu_forward', 'sgd_update'], 'test.fatbin');
      expect(typeof m.fn('relu_forward')).not.toBe('undefined');
      expect(() => m.fn('axpy')).toThrow(/kernel function 'axpy' was not resolved at start-up/);
      m.unload();
      expect(
        () => new KernelModule(ctx, image, ['relu_forward', 'no_such_kernel', 'nor_this'], 'test.fatbin'),
      ).toThrow(
        '@alexnet/cuda: test.fatbin lacks kernel functions no_such_kernel, nor_this (stale fatbin? rebuild it: pnpm --filter @alexnet/cuda build:fatbin)',
      );
    } finally {
      ctx.release();
    }
  });

  it('says clearly when the fatbin file is missing', () => {
    expect(() => readFatbin('/nonexistent/alexnet.fatbin')).toThrow(
      /\/nonexistent\/alexnet\.fatbin is missing \(build it with nvcc: pnpm --filter @alexnet\/cuda build:fatbin\)/,
    );
  });
});

if (skip) describe.skip(`fatbin module loading (${STUB_NAME}): ${skip}`, () => {});
