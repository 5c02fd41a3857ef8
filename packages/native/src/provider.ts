import { cpus } from 'node:os';
import type { BackendProvider } from '@alexnet/tensor';
import { NativeBackend } from './backend.js';
import { loadLibrary } from './library.js';

/**
 * How `selectDevice('auto')` / `getDevice('native:1')` find this backend. Two devices exist so the
 * paper's two towers can be placed on native:0 and native:1; today each device uses every core
 * (kernels run one at a time from the JS thread), so one device is as fast as two.
 */
export const backendProvider: BackendProvider = {
  kind: 'native',
  priority: 20,
  probe() {
    const lib = loadLibrary();
    if (typeof lib === 'string') return { available: false, devices: 0, detail: lib };
    return {
      available: true,
      devices: 2,
      detail: `C kernels, ${lib.simdPath()} GEMM, ${cpus().length} cores`,
    };
  },
  create: (index) => new NativeBackend({ index }),
};
