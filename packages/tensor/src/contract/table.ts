import type { KernelName, KernelTableV1 } from './kernels.js';
import { KERNEL_NAMES_V1 } from './kernels.js';
import { validateKernelCall } from './validate.js';

/**
 * Wraps a kernel table so every call is checked against the contract (attributes, buffer device and
 * lengths) before it runs. Backends wrap their table once; the check costs O(number of buffers).
 */
export function withValidation(device: string, table: KernelTableV1): KernelTableV1 {
  if (validatedFor.get(table) === device) return table; // already checked (e.g. the reference backend's own table)
  const checked: Partial<Record<KernelName, unknown>> = {};
  for (const name of KERNEL_NAMES_V1) {
    const kernel = table[name] as (bufs: unknown, attrs: unknown) => void;
    checked[name] = (bufs: never, attrs: never) => {
      validateKernelCall(name, bufs, attrs, device);
      kernel(bufs, attrs);
    };
  }
  const result = checked as KernelTableV1;
  validatedFor.set(result, device);
  return result;
}

/** Tables that already validate their calls, and for which device, so wrapping twice is a no-op. */
const validatedFor = new WeakMap<KernelTableV1, string>();
