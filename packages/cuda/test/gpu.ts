/** Whether this process sees a real NVIDIA GPU (not the stub); the reason when it does not. */
import { probeDriver } from '../src/driver/context.js';

export const NO_GPU_MESSAGE = 'no NVIDIA GPU: conformance runs in scripts/gpu-check.sh on a CUDA machine';

export function realGpu(): { name: string } | { reason: string } {
  const p = probeDriver();
  if (typeof p === 'string') return { reason: p };
  if (p.driver.isStub) return { reason: `${p.driver.path} is the CPU stub driver, not a GPU` };
  if (p.gpus === 0) return { reason: 'the NVIDIA driver reports no GPU' };
  return { name: 'GPU' };
}
