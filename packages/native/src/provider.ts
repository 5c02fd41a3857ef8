import { cpus } from 'node:os';
import type { BackendProvider } from '@alexnet/tensor';
import { defaultThreads, NativeBackend } from './backend.js';
import { loadLibrary } from './library.js';

/**
 * The devices this provider made that are still alive. One alone is synchronous and uses every core
 * (ALEXNET_NATIVE_THREADS overrides); as soon as two are alive — the paper's two towers on native:0
 * and native:1 — each becomes asynchronous (its own queue, off the JS thread) with its share of the
 * cores, so the towers compute at the same time. A device keeps queued execution once it has it.
 */
const live = new Map<number, NativeBackend>();

function share(): void {
  const devices = [...live.values()];
  if (devices.length === 0) return;
  const fromEnv = process.env.ALEXNET_NATIVE_THREADS;
  if (devices.length === 1) {
    const only = devices[0]!;
    const all = defaultThreads();
    if (only.threads !== all) only.configure({ threads: all });
    return;
  }
  const each =
    fromEnv !== undefined && fromEnv !== ''
      ? defaultThreads()
      : Math.max(1, Math.floor(cpus().length / devices.length));
  for (const d of devices)
    if (d.threads !== each || !d.asynchronous) d.configure({ threads: each, asynchronous: true });
}

/** How `selectDevice('auto')` / `getDevice('native:1')` find this backend. */
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
  create: (index) => {
    const backend = new NativeBackend({
      index,
      onDispose: () => {
        if (live.get(index) === backend) live.delete(index);
        share();
      },
    });
    live.set(index, backend);
    share();
    return backend;
  },
};
