/**
 * The device the page computes on, and the mode that actually ran: @alexnet/gpu's gpu.js backend in
 * the mode asked for (webgl2, webgpu, or auto — which says what it chose), or 'reference' —
 * @alexnet/tensor's plain JavaScript backend, for comparison. No silent fallback: a gpu.js mode
 * that cannot run here is an error on the page.
 */
import { createGpuBackend } from '@alexnet/gpu';
import { Device, ReferenceBackend } from '@alexnet/tensor';

export const PAGE_MODES = ['webgl2', 'webgpu', 'auto', 'reference'] as const;
export type PageMode = (typeof PAGE_MODES)[number];

export interface PageDevice {
  device: Device;
  /** What ran: 'reference' or the gpu.js mode the backend reports. */
  mode: string;
  description: string;
}

export function pageMode(value: string | null): PageMode {
  const mode = (value ?? 'webgl2') as PageMode;
  if (!PAGE_MODES.includes(mode)) throw new Error(`?mode=${value}: expected one of ${PAGE_MODES.join(', ')}`);
  return mode;
}

export async function createPageDevice(mode: PageMode): Promise<PageDevice> {
  if (mode === 'reference') {
    const backend = new ReferenceBackend();
    return { device: new Device(backend), mode: 'reference', description: backend.capabilities.description };
  }
  const backend = await createGpuBackend({ mode });
  return { device: new Device(backend), mode: backend.mode, description: backend.capabilities.description };
}
