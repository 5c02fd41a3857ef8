import { DeviceError } from '../errors.js';

export interface DeviceName {
  kind: string;
  index: number;
}

const PATTERN = /^([a-z][a-z0-9_-]*)(?::(\d+))?$/;

/** Parses 'cuda:1' → {kind: 'cuda', index: 1}; a bare kind ('native') means index 0. */
export function parseDeviceName(name: string): DeviceName {
  const m = typeof name === 'string' ? PATTERN.exec(name.trim()) : null;
  if (!m) {
    throw new DeviceError(
      `invalid device name ${JSON.stringify(name)}: expected '<backend>:<index>' such as 'ref:0', 'native:1' or 'cuda:0', or 'auto'`,
    );
  }
  const index = m[2] === undefined ? 0 : Number(m[2]);
  if (!Number.isSafeInteger(index)) throw new DeviceError(`invalid device index in ${JSON.stringify(name)}`);
  return { kind: m[1]!, index };
}

export function formatDeviceName(d: DeviceName): string {
  return `${d.kind}:${d.index}`;
}
