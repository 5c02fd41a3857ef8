/** Every CUresult is checked; a failure becomes a CudaError naming the call and the driver's own text. */

export const CUDA_SUCCESS = 0;
export const CUDA_ERROR_OUT_OF_MEMORY = 2;
export const CUDA_ERROR_NOT_READY = 600;
export const CUDA_ERROR_PEER_ACCESS_ALREADY_ENABLED = 704;

export class CudaError extends Error {
  constructor(
    /** The CUresult value. */
    readonly code: number,
    /** The driver call that failed, e.g. 'cuMemAlloc' or 'cuLaunchKernel(sgemm_128x128)'. */
    readonly call: string,
    /** cuGetErrorName's text, e.g. 'CUDA_ERROR_OUT_OF_MEMORY'. */
    readonly errorName: string,
    /** cuGetErrorString's text, e.g. 'out of memory'. */
    readonly description: string,
  ) {
    super(`${call} failed: ${errorName} (${code}): ${description}`);
    this.name = 'CudaError';
  }
}

/** The two driver functions that describe a CUresult (out-parameters as one-slot arrays, as koffi passes them). */
export interface ErrorTextSource {
  cuGetErrorName(code: number, out: (string | null)[]): unknown;
  cuGetErrorString(code: number, out: (string | null)[]): unknown;
}

/** The name and description the driver gives a CUresult (placeholders when it does not know the code). */
export function describeResult(src: ErrorTextSource, code: number): { name: string; text: string } {
  const name: (string | null)[] = [null];
  const text: (string | null)[] = [null];
  const rn = src.cuGetErrorName(code, name);
  const rs = src.cuGetErrorString(code, text);
  return {
    name: rn === CUDA_SUCCESS && name[0] ? name[0] : `CUDA_ERROR_${code}`,
    text: rs === CUDA_SUCCESS && text[0] ? text[0] : 'unknown error code',
  };
}

/** The CudaError for a failed call. */
export function cudaError(src: ErrorTextSource, call: string, code: number, detail?: string): CudaError {
  const { name, text } = describeResult(src, code);
  return new CudaError(code, call, name, detail ? `${text}\n${detail}` : text);
}

/** Throws a CudaError unless `code` is CUDA_SUCCESS. */
export function check(src: ErrorTextSource, call: string, code: unknown): void {
  if (code !== CUDA_SUCCESS) throw cudaError(src, call, code as number);
}

/** Calls `fn(out, ...rest)` with a one-slot out-parameter, checks the result and returns the slot. */
export function callOut<T>(
  src: ErrorTextSource,
  call: string,
  fn: (...args: unknown[]) => unknown,
  ...rest: unknown[]
): T {
  const out: unknown[] = [null];
  check(src, call, fn(out, ...rest));
  return out[0] as T;
}
