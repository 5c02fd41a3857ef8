import { describe, expect, it } from 'vitest';
import { CudaError, callOut, check, describeResult, type ErrorTextSource } from './errors.js';

/** The driver's two describing calls, answering for a few codes as libcuda does. */
const fakeDriver: ErrorTextSource = {
  cuGetErrorName(code, out) {
    const names: Record<number, string> = {
      0: 'CUDA_SUCCESS',
      2: 'CUDA_ERROR_OUT_OF_MEMORY',
      700: 'CUDA_ERROR_ILLEGAL_ADDRESS',
    };
    if (!(code in names)) return 1;
    out[0] = names[code]!;
    return 0;
  },
  cuGetErrorString(code, out) {
    const texts: Record<number, string> = {
      2: 'out of memory',
      700: 'an illegal memory access was encountered',
    };
    if (!(code in texts)) return 1;
    out[0] = texts[code]!;
    return 0;
  },
};

describe('CUresult → CudaError', () => {
  it('names the call, the CUDA error name, the code and the driver text', () => {
    let caught: unknown;
    try {
      check(fakeDriver, 'cuLaunchKernel(sgemm)', 700);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(CudaError);
    const e = caught as CudaError;
    expect(e.code).toBe(700);
    expect(e.call).toBe('cuLaunchKernel(sgemm)');
    expect(e.errorName).toBe('CUDA_ERROR_ILLEGAL_ADDRESS');
    expect(e.message).toBe(
      'cuLaunchKernel(sgemm) failed: CUDA_ERROR_ILLEGAL_ADDRESS (700): an illegal memory access was encountered',
    );
  });

  it('success passes; unknown codes get a placeholder name instead of a crash', () => {
    expect(() => check(fakeDriver, 'cuInit', 0)).not.toThrow();
    expect(describeResult(fakeDriver, 12345)).toEqual({
      name: 'CUDA_ERROR_12345',
      text: 'unknown error code',
    });
    expect(() => check(fakeDriver, 'cuMemAlloc', 2)).toThrow(
      /cuMemAlloc failed: CUDA_ERROR_OUT_OF_MEMORY \(2\): out of memory/,
    );
  });

  it('callOut returns the out-parameter, or throws without returning it', () => {
    const ok = (out: unknown[], a: unknown) => {
      out[0] = (a as number) * 2;
      return 0;
    };
    expect(callOut<number>(fakeDriver, 'f', ok as (...a: unknown[]) => unknown, 21)).toBe(42);
    const fail = (out: unknown[]) => {
      out[0] = 99;
      return 2;
    };
    expect(() => callOut(fakeDriver, 'cuMemAlloc', fail as (...a: unknown[]) => unknown)).toThrow(CudaError);
  });
});
