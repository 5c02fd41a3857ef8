/**
 * safetensors from bytes in memory (a fetched or chosen file in the browser), with the same header
 * checks as the file reader. Tensors are views of `bytes` where their offset is aligned for their
 * dtype (no second copy of a 244 MB model), copies otherwise.
 */
import {
  DTYPES,
  headerLength,
  parseHeader,
  product,
  type SafetensorsEntry,
  type SafetensorsFile,
} from '../train/safetensors-header.js';

/** Parses a whole safetensors file held in `bytes`; `label` names it in errors. */
export function parseSafetensors(bytes: Uint8Array, label = 'model.safetensors'): SafetensorsFile {
  const length = headerLength(bytes.subarray(0, 8), bytes.length, label);
  const dataStart = 8 + length;
  const { entries, metadata } = parseHeader(bytes.subarray(8, dataStart), bytes.length - dataStart, label);
  const tensors = new Map<string, SafetensorsEntry>();
  for (const e of entries) {
    const dtype = DTYPES[e.dtype];
    const n = product(e.shape);
    const at = bytes.byteOffset + dataStart + e.begin;
    let data: SafetensorsEntry['data'];
    if (at % dtype.bytes === 0) {
      data =
        e.dtype === 'F32'
          ? new Float32Array(bytes.buffer, at, n)
          : e.dtype === 'F64'
            ? new Float64Array(bytes.buffer, at, n)
            : e.dtype === 'I32'
              ? new Int32Array(bytes.buffer, at, n)
              : new Uint8Array(bytes.buffer, at, n);
    } else {
      data = dtype.make(n);
      new Uint8Array(data.buffer).set(bytes.subarray(dataStart + e.begin, dataStart + e.end));
    }
    tensors.set(e.name, { shape: e.shape, data });
  }
  return { tensors, metadata };
}
