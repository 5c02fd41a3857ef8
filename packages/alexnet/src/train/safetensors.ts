/**
 * The safetensors format (huggingface/safetensors): an 8-byte little-endian header length N, N bytes
 * of JSON `{ name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__": { string: string } }`
 * padded with spaces to a multiple of 8, then the tensors' bytes (little-endian, row-major), offsets
 * relative to the end of the header. Written tensor by tensor (a 61 M-parameter model is 244 MB:
 * no second copy in memory), read with every offset checked, so a truncated or foreign file is an
 * error that says what is wrong instead of garbage weights.
 */
import { closeSync, fstatSync, fsyncSync, openSync, readSync, writeSync } from 'node:fs';

import {
  headerLength as checkedHeaderLength,
  DTYPES,
  parseHeader,
  product,
  type SafetensorsArray,
  type SafetensorsDtype,
  type SafetensorsEntry,
  SafetensorsError,
  type SafetensorsFile,
} from './safetensors-header.js';

export {
  type SafetensorsArray,
  type SafetensorsDtype,
  type SafetensorsEntry,
  SafetensorsError,
  type SafetensorsFile,
} from './safetensors-header.js';

function dtypeOf(data: SafetensorsArray): SafetensorsDtype {
  if (data instanceof Float32Array) return 'F32';
  if (data instanceof Float64Array) return 'F64';
  if (data instanceof Int32Array) return 'I32';
  return 'U8';
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
    const prefix = Buffer.alloc(8);
    if (size >= 8) readExactly(fd, prefix, 0, path);
    const headerLength = checkedHeaderLength(prefix, size, path);
    const headerBytes = Buffer.alloc(headerLength);
    readExactly(fd, headerBytes, 8, path);
    const dataStart = 8 + headerLength;
    const { entries, metadata } = parseHeader(headerBytes, size - dataStart, path);
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
