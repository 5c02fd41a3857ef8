/**
 * The pure half of the safetensors format (no file system): the dtypes, and the header's parsing and
 * checks, shared by the file reader (safetensors.ts) and the in-memory reader of the browser entry.
 * Every offset is checked, so a truncated or foreign file is an error that says what is wrong
 * instead of garbage weights.
 */
export type SafetensorsArray = Float32Array | Float64Array | Int32Array | Uint8Array;

export const DTYPES = {
  F32: { bytes: 4, make: (n: number) => new Float32Array(n) },
  F64: { bytes: 8, make: (n: number) => new Float64Array(n) },
  I32: { bytes: 4, make: (n: number) => new Int32Array(n) },
  U8: { bytes: 1, make: (n: number) => new Uint8Array(n) },
} as const;
export type SafetensorsDtype = keyof typeof DTYPES;

export interface SafetensorsEntry {
  shape: readonly number[];
  data: SafetensorsArray;
}

export interface SafetensorsFile {
  tensors: Map<string, SafetensorsEntry>;
  metadata: Record<string, string>;
}

/** Header sizes beyond this are refused (a corrupt length would otherwise allocate gigabytes). */
export const MAX_HEADER = 64 * 1024 * 1024;

export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
}

export function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** One tensor as the header places it: bytes [begin, end) after the header. */
export interface HeaderEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  begin: number;
  end: number;
}

/**
 * The header length stored in the first 8 bytes, checked against the file's size (`label` names
 * the file in errors).
 */
export function headerLength(prefix: Uint8Array, size: number, label: string): number {
  if (size < 8) throw new SafetensorsError(`${label}: ${size} bytes is too short for a safetensors file`);
  const length = Number(new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true));
  if (length > MAX_HEADER || 8 + length > size) {
    throw new SafetensorsError(
      `${label}: header length ${length} does not fit the file (${size} bytes): not a safetensors file, or truncated`,
    );
  }
  return length;
}

/**
 * Parses the JSON header and checks it against the `dataLength` bytes that follow it: known dtypes,
 * valid shapes, offsets that tile the data exactly (no gaps, no overlaps, nothing past the end).
 */
export function parseHeader(
  headerBytes: Uint8Array,
  dataLength: number,
  label: string,
): { entries: HeaderEntry[]; metadata: Record<string, string> } {
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(headerBytes)) as Record<string, unknown>;
  } catch (error) {
    throw new SafetensorsError(`${label}: the header is not JSON (${(error as Error).message})`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header))
    throw new SafetensorsError(`${label}: the header is not a JSON object`);
  const metadata: Record<string, string> = {};
  const entries: HeaderEntry[] = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') {
      for (const [k, v] of Object.entries((raw ?? {}) as Record<string, unknown>)) {
        if (typeof v !== 'string') throw new SafetensorsError(`${label}: metadata '${k}' is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    const info = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const dtype = info?.dtype as SafetensorsDtype;
    if (!(typeof dtype === 'string' && dtype in DTYPES)) {
      throw new SafetensorsError(
        `${label}: tensor '${name}' has dtype ${JSON.stringify(info?.dtype)}; supported: ${Object.keys(DTYPES).join(', ')}`,
      );
    }
    const shape = info.shape;
    const offsets = info.data_offsets;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0))
      throw new SafetensorsError(`${label}: tensor '${name}' has an invalid shape ${JSON.stringify(shape)}`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isInteger(o)))
      throw new SafetensorsError(
        `${label}: tensor '${name}' has invalid data_offsets ${JSON.stringify(offsets)}`,
      );
    const [begin, end] = offsets as [number, number];
    if (end - begin !== product(shape) * DTYPES[dtype].bytes) {
      throw new SafetensorsError(
        `${label}: tensor '${name}' ${dtype}[${shape.join(', ')}] needs ${product(shape) * DTYPES[dtype].bytes} bytes, its offsets span ${end - begin}`,
      );
    }
    entries.push({ name, dtype, shape: shape as number[], begin, end });
  }
  const sorted = [...entries].sort((a, b) => a.begin - b.begin);
  let expected = 0;
  for (const e of sorted) {
    if (e.begin !== expected)
      throw new SafetensorsError(
        `${label}: tensor '${e.name}' starts at byte ${e.begin}, expected ${expected}`,
      );
    expected = e.end;
  }
  if (expected !== dataLength) {
    throw new SafetensorsError(
      `${label}: the tensors cover ${expected} bytes but the file holds ${dataLength} after the header (truncated or padded)`,
    );
  }
  return { entries, metadata };
}
