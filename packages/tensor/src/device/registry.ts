import type { BackendV1 } from '../contract/backend.js';
import { DeviceError } from '../errors.js';
import { ReferenceBackend } from '../reference/backend.js';
import { Device } from './device.js';
import { formatDeviceName, parseDeviceName } from './name.js';

/** Whether a backend can run here, and why not when it cannot. */
export interface Availability {
  available: boolean;
  /** How many devices of this kind exist (GPUs, CPU device slots). */
  devices: number;
  /** Why it is unavailable, or what it found (e.g. 'NVIDIA H100, driver 580'). */
  detail: string;
}

/**
 * How a backend plugs in by name (tinygrad's `ops_<name>`): each backend package exports one
 * `backendProvider`. `priority` orders 'auto' selection: the fastest available backend wins.
 */
export interface BackendProvider {
  readonly kind: string;
  readonly priority: number;
  probe(): Promise<Availability> | Availability;
  create(index: number): Promise<BackendV1> | BackendV1;
}

/** The reference backend is always there; it is the slowest, so 'auto' picks it last. */
export const referenceProvider: BackendProvider = {
  kind: 'ref',
  priority: 0,
  probe: () => ({
    available: true,
    devices: Number.POSITIVE_INFINITY,
    detail: 'plain TypeScript, always available',
  }),
  create: (index) => new ReferenceBackend({ index }),
};

/** Backend packages that 'auto' looks for when they are installed but not registered yet. */
export const KNOWN_BACKEND_PACKAGES: Readonly<Record<string, string>> = {
  cuda: '@alexnet/cuda',
  native: '@alexnet/native',
  gpu: '@alexnet/gpu',
};

const providers = new Map<string, BackendProvider>([['ref', referenceProvider]]);
const devices = new Map<string, Promise<Device>>();

/** Makes a backend selectable by its kind ('native:0', …). Registering a kind again replaces it. */
export function registerBackend(provider: BackendProvider): void {
  if (!provider || typeof provider.kind !== 'string' || typeof provider.create !== 'function') {
    throw new DeviceError(
      'registerBackend: expected a BackendProvider with kind, priority, probe and create',
    );
  }
  providers.set(provider.kind, provider);
  for (const key of [...devices.keys()]) if (key.startsWith(`${provider.kind}:`)) devices.delete(key);
}

export function registeredBackends(): string[] {
  return [...providers.keys()];
}

/** Imports an installed backend package (resolved from the application's folder) and registers it. */
async function loadKnownProvider(kind: string): Promise<BackendProvider | string> {
  const spec = KNOWN_BACKEND_PACKAGES[kind];
  if (!spec) return `no backend package is known for '${kind}'`;
  return loadBackendPackage(spec);
}

/**
 * Imports the package `spec` and registers its `backendProvider`; returns why not as a string
 * ('… is not installed', '… failed to load: …'). Exported for tests (not from the package index).
 */
export async function loadBackendPackage(spec: string): Promise<BackendProvider | string> {
  try {
    const { createRequire } = await import('node:module');
    const { pathToFileURL } = await import('node:url');
    const path = await import('node:path');
    // Resolve from the running program (its own node_modules) and from the working directory.
    const bases = [process.argv[1], path.join(process.cwd(), 'index.js')].filter((b): b is string => !!b);
    let resolved: string | undefined;
    let lastError: unknown;
    for (const base of bases) {
      try {
        resolved = createRequire(base).resolve(spec);
        break;
      } catch (err) {
        lastError = err;
      }
    }
    if (resolved === undefined) throw lastError;
    const mod = (await import(pathToFileURL(resolved).href)) as { backendProvider?: BackendProvider };
    if (!mod.backendProvider) return `${spec} is installed but exports no backendProvider`;
    registerBackend(mod.backendProvider);
    return mod.backendProvider;
  } catch (err) {
    const code = (err as { code?: string }).code;
    return code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND'
      ? `${spec} is not installed`
      : `${spec} failed to load: ${(err as Error).message}`;
  }
}

async function providerFor(kind: string): Promise<BackendProvider> {
  const known = providers.get(kind);
  if (known) return known;
  const loaded = await loadKnownProvider(kind);
  if (typeof loaded === 'string') {
    throw new DeviceError(
      `unknown device kind '${kind}': ${loaded}; registered: ${registeredBackends().join(', ')}`,
    );
  }
  return loaded;
}

/** The device with this name ('ref:0', 'native:1', …), created once and then shared. */
export function getDevice(name: string): Promise<Device> {
  const parsed = parseDeviceName(name);
  const key = formatDeviceName(parsed);
  let pending = devices.get(key);
  if (!pending) {
    pending = (async () => {
      const provider = await providerFor(parsed.kind);
      const avail = await provider.probe();
      if (!avail.available) throw new DeviceError(`device ${key} is not available: ${avail.detail}`);
      if (parsed.index >= avail.devices) {
        throw new DeviceError(
          `device ${key} does not exist: ${parsed.kind} has ${avail.devices} device(s) (${avail.detail})`,
        );
      }
      return new Device(await provider.create(parsed.index));
    })();
    devices.set(key, pending);
    pending.catch(() => devices.delete(key));
  }
  return pending;
}

export interface DeviceSelection {
  device: Device;
  /** Why this device was chosen, and what the other candidates said. */
  reason: string;
  candidates: { kind: string; priority: number; available: boolean; detail: string }[];
}

export interface SelectOptions {
  /** Import installed backend packages (@alexnet/cuda, /native, /gpu) that are not registered yet (default true). */
  discover?: boolean;
  /** Where the selection message goes; default console.warn when it fell back to the reference backend, else console.info. */
  log?: ((message: string) => void) | false;
}

/**
 * Picks a device. A concrete name is returned as is; 'auto' probes every registered and installed
 * backend, picks the highest-priority available one, and says which it picked and why — loudly
 * when that is the slow reference backend.
 */
export async function selectDevice(name = 'auto', options: SelectOptions = {}): Promise<DeviceSelection> {
  if (name !== 'auto') {
    const device = await getDevice(name);
    return { device, reason: `${device.name} requested explicitly`, candidates: [] };
  }
  if (options.discover ?? true) {
    for (const kind of Object.keys(KNOWN_BACKEND_PACKAGES)) {
      if (!providers.has(kind)) await loadKnownProvider(kind);
    }
  }
  const candidates: DeviceSelection['candidates'] = [];
  for (const kind of Object.keys(KNOWN_BACKEND_PACKAGES)) {
    if (!providers.has(kind)) {
      candidates.push({
        kind,
        priority: -1,
        available: false,
        detail: `${KNOWN_BACKEND_PACKAGES[kind]} is ${(options.discover ?? true) ? 'not installed' : 'not registered'}`,
      });
    }
  }
  for (const p of providers.values()) {
    let avail: Availability;
    try {
      avail = await p.probe();
    } catch (err) {
      avail = { available: false, devices: 0, detail: `probe failed: ${(err as Error).message}` };
    }
    candidates.push({
      kind: p.kind,
      priority: p.priority,
      available: avail.available && avail.devices > 0,
      detail: avail.detail,
    });
  }
  candidates.sort((a, b) => b.priority - a.priority);
  const best = candidates.find((c) => c.available)!;
  const device = await getDevice(`${best.kind}:0`);
  const others = candidates
    .filter((c) => c !== best)
    .map((c) => `${c.kind}: ${c.available ? 'available' : c.detail}`);
  const reason = `auto picked ${device.describe()}${others.length ? ` (${others.join('; ')})` : ''}`;
  const log = options.log ?? (best.kind === 'ref' ? console.warn : console.info);
  if (log)
    log(
      best.kind === 'ref'
        ? `warning: ${reason} — the reference backend is slow; install @alexnet/native or @alexnet/cuda`
        : reason,
    );
  return { device, reason, candidates };
}
