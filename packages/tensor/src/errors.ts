/**
 * Errors thrown by the tensor core and backends. Each carries the offending values in its message
 * so a user can see what was wrong without a debugger.
 */

/** A shape or size did not match what an operation needs. */
export class ShapeError extends Error {
  override name = 'ShapeError';
}

/** A hyper-parameter or attribute is out of its domain (non-finite, negative, not an integer…). */
export class ArgumentError extends Error {
  override name = 'ArgumentError';
}

/** A device name could not be parsed, or names a backend that is not available. */
export class DeviceError extends Error {
  override name = 'DeviceError';
}

/** A backend was asked for a kernel it lists as unsupported in its capabilities. */
export class UnsupportedKernelError extends Error {
  override name = 'UnsupportedKernelError';
  constructor(
    readonly backend: string,
    readonly kernel: string,
    readonly reason: string,
  ) {
    super(`backend '${backend}' does not support kernel '${kernel}': ${reason}`);
  }
}

/** Formats a value for an error message (arrays and shapes shown compactly). */
export function show(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(show).join(', ')}]`;
  if (typeof value === 'number' && Number.isNaN(value)) return 'NaN';
  if (typeof value === 'string') return `'${value}'`;
  return String(value);
}
