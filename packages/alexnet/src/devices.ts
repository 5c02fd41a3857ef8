/**
 * Picking the devices a network runs on, by name. `alexnet` depends on `@alexnet/native` (optional),
 * so it registers that backend itself: 'auto' finds it even where the application cannot resolve the
 * package (pnpm keeps a dependency's dependencies private).
 */
import { type Device, registerBackend, registeredBackends, selectDevice } from '@alexnet/tensor';

export interface DeviceChoice {
  /** One device, or [tower 0, tower 1]. */
  devices: Device[];
  /** What was picked and why (for 'auto': what the other backends said). */
  reason: string;
}

let nativeTried: Promise<void> | null = null;

/** Registers @alexnet/native when it is installed; does nothing (and says nothing) when it is not. */
export function registerInstalledBackends(): Promise<void> {
  nativeTried ??= (async () => {
    if (registeredBackends().includes('native')) return;
    try {
      const mod = (await import('@alexnet/native')) as {
        backendProvider?: Parameters<typeof registerBackend>[0];
      };
      if (mod.backendProvider) registerBackend(mod.backendProvider);
    } catch {
      // not installed (it is an optional dependency): 'auto' reports it as missing
    }
  })();
  return nativeTried;
}

/**
 * Devices by name: 'auto' (the fastest available backend, and why), 'native:0', 'cuda:0,cuda:1' or
 * ['native:0', 'native:1'] (the two towers on two devices). Throws a `DeviceError` for an unknown or
 * unavailable device. 'auto' says what it picked as `selectDevice` does (console.info, or
 * console.warn when it falls back to the slow reference backend); `log: false` keeps it quiet.
 */
export async function selectDevices(
  spec: string | readonly string[] = 'auto',
  options: { log?: ((message: string) => void) | false } = {},
): Promise<DeviceChoice> {
  await registerInstalledBackends();
  const names = (typeof spec === 'string' ? spec.split(',') : [...spec]).map((s) => s.trim());
  const devices: Device[] = [];
  const reasons: string[] = [];
  for (const name of names) {
    const { device, reason } = await selectDevice(
      name,
      options.log === undefined ? {} : { log: options.log },
    );
    devices.push(device);
    reasons.push(reason);
  }
  return { devices, reason: reasons.join('; ') };
}
