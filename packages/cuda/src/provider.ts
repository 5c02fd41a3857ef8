import { existsSync } from 'node:fs';
import type { BackendProvider } from '@alexnet/tensor';
import { CudaBackend } from './backend.js';
import { deviceSlots, towersOnOneGpu } from './devices.js';
import { formatDriverVersion, gpuInfo, probeDriver } from './driver/context.js';
import { fatbinPath } from './driver/module.js';

/**
 * How `selectDevice('auto')` / `getDevice('cuda:1')` find this backend. Priority 30: above the
 * native CPU backend (20), since any supported NVIDIA GPU outruns it.
 */
export const backendProvider: BackendProvider = {
  kind: 'cuda',
  priority: 30,
  probe() {
    const p = probeDriver();
    if (typeof p === 'string') return { available: false, devices: 0, detail: p };
    if (p.gpus === 0) return { available: false, devices: 0, detail: 'the NVIDIA driver reports no GPU' };
    let path: string;
    try {
      path = fatbinPath();
    } catch (e) {
      return { available: false, devices: 0, detail: (e as Error).message };
    }
    if (!existsSync(path)) return { available: false, devices: 0, detail: `${path} is missing` };
    try {
      const g = gpuInfo(p.driver, 0);
      const [major, minor] = g.computeCapability;
      const stub = p.driver.isStub ? 'STUB DRIVER (CPU emulation, plumbing only): ' : '';
      const shared = towersOnOneGpu(p.gpus)
        ? `, cuda:0 … cuda:${deviceSlots(p.gpus) - 1} share GPU 0 (one stream each)`
        : '';
      return {
        available: true,
        devices: deviceSlots(p.gpus),
        detail: `${stub}${p.gpus} × ${g.name} (sm_${major}${minor}), driver ${formatDriverVersion(g.driverVersion)}${shared}`,
      };
    } catch (e) {
      return { available: false, devices: 0, detail: (e as Error).message };
    }
  },
  // Devices made by name ('cuda:1') use plain float32 unless ALEXNET_CUDA_TF32=1.
  create: (index) => new CudaBackend({ index, tf32: process.env.ALEXNET_CUDA_TF32 === '1' }),
};
