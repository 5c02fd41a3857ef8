import type { BackendProvider } from '@alexnet/tensor';
import { createGpuBackend } from './backend.js';
import { DEVICE_MODES, modeUnavailableReason } from './modes.js';

/**
 * How `selectDevice('auto')` / `getDevice('gpu:0')` find this backend. Available only where a device
 * mode (webgpu, webgl2, headlessgl, webgl) runs: gpu.js's cpu and webasm modes run on the CPU, more
 * slowly than @alexnet/native, so 'auto' must never land on them under the name of a GPU (create
 * those explicitly with `createGpuBackend({ mode: 'webasm' })`). Priority 10: below native (20),
 * because gpu.js on a software rasteriser is slower than native C, above the reference backend (0).
 */
export const backendProvider: BackendProvider = {
  kind: 'gpu',
  priority: 10,
  async probe() {
    const reasons: string[] = [];
    for (const mode of DEVICE_MODES) {
      const why = await modeUnavailableReason(mode);
      if (why === null) return { available: true, devices: 1, detail: `gpu.js ${mode} mode` };
      reasons.push(`${mode}: ${why}`);
    }
    return {
      available: false,
      devices: 0,
      detail: `no gpu.js device mode here (${reasons.join('; ')}); gpu.js cpu/webasm modes run on the CPU and are only created explicitly`,
    };
  },
  create: (index) => createGpuBackend({ mode: 'auto', index }),
};
