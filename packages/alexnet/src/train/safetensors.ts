/**
 * The safetensors format (huggingface/safetensors): an 8-byte little-endian header length N, N bytes
 * of JSON `{ name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__": { string: string } }`
 * padded with spaces to a multiple of 8, then the tensors' bytes (little-endian, row-major), offsets
 * relative to the end of the header. Written tensor by tensor (a 61 M-parameter model is 244 MB:
 * no second copy in memory), read with every offset checked, so a truncated or foreign file is an
 * error that says what is wrong instead of garbage weights.
 */
import { closeSync, fstatSync, fsyncSync, openSync, readSync, writeSync } from 'node:fs';

export type SafetensorsArray = Float32Array | Float64Array | Int32Array | Uint8Array;

const DTYPES = {
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

/** Header sizes beyond this are refused (a corrupt length would otherwise allocate gigabytes). */
const MAX_HEADER = 64 * 1024 * 1024;

export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
}

function dtypeOf(data: SafetensorsArray): SafetensorsDtype {
  if (data instanceof Float32Array) return 'F32';
  if (data instanceof Float64Array) return 'F64';
  if (data instanceof Int32Array) return 'I32';
  return 'U8';
}

function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function bytesOf(data: SafetensorsArray): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * Writes `tensors` (in the given order) and string metadata to `path`, then fsyncs it. The caller
 * makes the write atomic (write to a temporary name, then rename).
 */
export function writeSafetensors(
  path: string,
  tensors: ReadonlyMap<string, SafetensorsEntry>,
  metadata: Readonly<Record<string, string>> = {},
): void {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = { ...metadata };
  let offset = 0;
  for (const [name, { shape, data }] of tensors) {
    if (name === '__metadata__') throw new SafetensorsError(`'__metadata__' is not a valid tensor name`);
    if (product(shape) !== data.length) {
      throw new SafetensorsError(
        `tensor '${name}': shape [${shape.join(', ')}] holds ${product(shape)} values, the data ${data.length}`,
      );
    }
    header[name] = {
      dtype: dtypeOf(data),
      shape: [...shape],
      data_offsets: [offset, offset + data.byteLength],
    };
    offset += data.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(headerBytes.length));
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, prefix);
    writeSync(fd, headerBytes);
    for (const { data } of tensors.values()) {
      const bytes = bytesOf(data);
      let written = 0;
      while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export interface SafetensorsFile {
  tensors: Map<string, SafetensorsEntry>;
  metadata: Record<string, string>;
}

function readExactly(fd: number, target: Uint8Array, position: number, path: string): void {
  let done = 0;
  while (done < target.length) {
    const n = readSync(fd, target, done, target.length - done, position + done);
    if (n === 0) throw new SafetensorsError(`${path}: the file ends early (truncated?)`);
    done += n;
  }
}

/** Reads a safetensors file; `only` limits which tensors are loaded (the others are skipped). */
export function readSafetensors(path: string, only?: (name: string) => boolean): SafetensorsFile {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size < 8) throw new SafetensorsError(`${path}: ${size} bytes is too short for a safetensors file`);
    const prefix = Buffer.alloc(8);
    readExactly(fd, prefix, 0, path);
    const headerLength = Number(prefix.readBigUInt64LE());
    if (headerLength > MAX_HEADER || 8 + headerLength > size) {
      throw new SafetensorsError(
        `${path}: header length ${headerLength} does not fit the file (${size} bytes): not a safetensors file, or truncated`,
      );
    }
    const headerBytes = Buffer.alloc(headerLength);
    readExactly(fd, headerBytes, 8, path);
    let header: Record<string, unknown>;
    try {
      header = JSON.parse(headerBytes.toString('utf8')) as Record<string, unknown>;
    } catch (error) {
      throw new SafetensorsError(`${path}: the header is not JSON (${(error as Error).message})`);
    }
    if (!header || typeof header !== 'object' || Array.isArray(header))
      throw new SafetensorsError(`${path}: the header is not a JSON object`);
    const dataStart = 8 + headerLength;
    const dataLength = size - dataStart;
    const metadata: Record<string, string> = {};
    const entries: { name: string; dtype: SafetensorsDtype; shape: number[]; begin: number; end: number }[] =
      [];
    for (const [name, raw] of Object.entries(header)) {
      if (name === '__metadata__') {
        for (const [k, v] of Object.entries((raw ?? {}) as Record<string, unknown>)) {
          if (typeof v !== 'string') throw new SafetensorsError(`${path}: metadata '${k}' is not a string`);
          metadata[k] = v;
        }
        continue;
      }
      const info = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
      const dtype = info?.dtype as SafetensorsDtype;
      if (!(typeof dtype === 'string' && dtype in DTYPES)) {
        throw new SafetensorsError(
          `${path}: tensor '${name}' has dtype ${JSON.stringify(info?.dtype)}; supported: ${Object.keys(DTYPES).join(', ')}`,
        );
      }
      const shape = info.shape;
      const offsets = info.data_offsets;
      if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0))
        throw new SafetensorsError(`${path}: tensor '${name}' has an invalid shape ${JSON.stringify(shape)}`);
      if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isInteger(o)))
        throw new SafetensorsError(
          `${path}: tensor '${name}' has invalid data_offsets ${JSON.stringify(offsets)}`,
        );
      const [begin, end] = offsets as [number, number];
      if (end - begin !== product(shape) * DTYPES[dtype].bytes) {
        throw new SafetensorsError(
          `${path}: tensor '${name}' ${dtype}[${shape.join(', ')}] needs ${product(shape) * DTYPES[dtype].bytes} bytes, its offsets span ${end - begin}`,
        );
      }
      entries.push({ name, dtype, shape: shape as number[], begin, end });
    }
    // the tensors must tile the data exactly: no gaps, no overlaps, nothing past the end
    const sorted = [...entries].sort((a, b) => a.begin - b.begin);
    let expected = 0;
    for (const e of sorted) {
      if (e.begin !== expected)
        throw new SafetensorsError(
          `${path}: tensor '${e.name}' starts at byte ${e.begin}, expected ${expected}`,
        );
      expected = e.end;
    }
    if (expected !== dataLength) {
      throw new SafetensorsError(
        `${path}: the tensors cover ${expected} bytes but the file holds ${dataLength} after the header (truncated or padded)`,
      );
    }
    const tensors = new Map<string, SafetensorsEntry>();
    for (const e of entries) {
      if (only && !only(e.name)) continue;
      const data = DTYPES[e.dtype].make(product(e.shape));
      readExactly(fd, bytesOf(data), dataStart + e.begin, path);
      tensors.set(e.name, { shape: e.shape, data });
    }
    return { tensors, metadata };
  } finally {
    closeSync(fd);
  }
}
