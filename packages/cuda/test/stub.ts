/**
 * For tests that run through the stub driver (test/stub/libcuda_stub.cpp): CPU emulation of the
 * kernels, proving the FFI plumbing only. Call `useStubDriver()` at the top of the test file, before
 * anything loads the driver; it returns the reason when the stub could not be built.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';

export const STUB_NAME = 'stub driver, CPU emulation — plumbing only';

export function useStubDriver(
  env: Record<string, string> = {},
  options: { kernels?: boolean } = { kernels: true },
): string | null {
  const stub = inject('cudaStub');
  if (stub.stubReason) return stub.stubReason;
  if (options.kernels && stub.emuReason) return stub.emuReason;
  process.env.ALEXNET_CUDA_LIBRARY = stub.library;
  // The TF32 tensor-core GEMMs have no CPU emulation: resolvable, but launching them fails.
  process.env.STUB_UNEMULATED_FUNCTIONS = 'sgemm_tf32_*';
  for (const [k, v] of Object.entries(env)) process.env[k] = v;
  // The stub ignores the module image; the real fatbin is used when it has been built.
  const fatbin = join(import.meta.dirname, '..', 'fatbin', 'alexnet.fatbin');
  if (!existsSync(fatbin)) {
    const dir = mkdtempSync(join(tmpdir(), 'alexnet-cuda-'));
    const fake = join(dir, 'stub.fatbin');
    writeFileSync(fake, 'not a fatbin: the stub driver does not read module images\n');
    process.env.ALEXNET_CUDA_FATBIN = fake;
  }
  return null;
}
