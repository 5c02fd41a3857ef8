import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestData } from '@alexnet/tensor/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { readSafetensors, SafetensorsError, writeSafetensors } from './safetensors.js';

const dir = mkdtempSync(join(tmpdir(), 'safetensors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const rnd = new TestData(7);

/** A file built byte by byte from the format's description (not by our writer). */
function handMade(header: object, data: Uint8Array): string {
  const json = Buffer.from(JSON.stringify(header));
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.length));
  const path = join(dir, `hand-${Math.random().toString(36).slice(2)}.safetensors`);
  writeFileSync(path, Buffer.concat([prefix, json, data]));
  return path;
}

describe('safetensors', () => {
  it('round-trips float32, float64, int32 and uint8 tensors with metadata, the header padded to 8 bytes', () => {
    const tensors = new Map([
      ['conv1.weight', { shape: [4, 3, 2, 2], data: rnd.uniform(48, -1, 1) }],
      ['scalar', { shape: [], data: Float32Array.of(3.5) }],
      ['f64', { shape: [2, 3], data: Float64Array.from(rnd.uniform(6, -1, 1)) }],
      ['ints', { shape: [5], data: Int32Array.of(-2, 0, 7, 2 ** 30, -(2 ** 31)) }],
      ['bytes', { shape: [3], data: Uint8Array.of(0, 128, 255) }],
    ]);
    const path = join(dir, 'a.safetensors');
    writeSafetensors(path, tensors, { config: '{"input":224}', note: 'é ✓' });
    const bytes = readFileSync(path);
    const n = Number(bytes.readBigUInt64LE(0));
    expect(n % 8).toBe(0);
    const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
    expect(header['conv1.weight']).toEqual({ dtype: 'F32', shape: [4, 3, 2, 2], data_offsets: [0, 192] });
    expect(header.__metadata__).toEqual({ config: '{"input":224}', note: 'é ✓' });
    const back = readSafetensors(path);
    expect(back.metadata).toEqual({ config: '{"input":224}', note: 'é ✓' });
    for (const [name, t] of tensors) {
      expect(back.tensors.get(name)!.shape).toEqual(t.shape);
      expect(back.tensors.get(name)!.data).toEqual(t.data);
      expect(back.tensors.get(name)!.data.constructor).toBe(t.data.constructor);
    }
    expect([...readSafetensors(path, (name) => name === 'ints').tensors.keys()]).toEqual(['ints']);
  });

  it('reads a file written from the specification by hand (offsets in any header order)', () => {
    const b = Float32Array.of(1.5, -2);
    const a = Float32Array.of(0.25);
    const data = new Uint8Array(12);
    data.set(new Uint8Array(a.buffer), 8);
    data.set(new Uint8Array(b.buffer), 0);
    const path = handMade(
      {
        b: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
        a: { dtype: 'F32', shape: [1, 1], data_offsets: [8, 12] },
      },
      data,
    );
    const file = readSafetensors(path);
    expect(file.tensors.get('a')!.data).toEqual(a);
    expect(file.tensors.get('b')!.data).toEqual(b);
    expect(file.metadata).toEqual({});
  });

  it('refuses damaged or foreign files with a message that says what is wrong', () => {
    const t = new Map([['w', { shape: [8], data: rnd.uniform(8, -1, 1) }]]);
    const good = join(dir, 'good.safetensors');
    writeSafetensors(good, t);
    const bytes = readFileSync(good);
    const truncated = join(dir, 'truncated.safetensors');
    writeFileSync(truncated, bytes.subarray(0, bytes.length - 3));
    expect(() => readSafetensors(truncated)).toThrow(/cover 32 bytes but the file holds 29/);
    const text = join(dir, 'text.safetensors');
    writeFileSync(text, 'this is not a safetensors file at all');
    expect(() => readSafetensors(text)).toThrow(SafetensorsError);
    expect(() => readSafetensors(text)).toThrow(/header length/);
    const tiny = join(dir, 'tiny.safetensors');
    writeFileSync(tiny, 'abc');
    expect(() => readSafetensors(tiny)).toThrow(/too short/);
    const gap = handMade({ w: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, new Uint8Array(8));
    expect(() => readSafetensors(gap)).toThrow(/starts at byte 4, expected 0/);
    const size = handMade({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8));
    expect(() => readSafetensors(size)).toThrow(/needs 12 bytes, its offsets span 8/);
    const dtype = handMade({ w: { dtype: 'BF16', shape: [4], data_offsets: [0, 8] } }, new Uint8Array(8));
    expect(() => readSafetensors(dtype)).toThrow(/dtype "BF16"; supported: F32, F64, I32, U8/);
    expect(() =>
      writeSafetensors(join(dir, 'x'), new Map([['w', { shape: [3], data: new Float32Array(4) }]])),
    ).toThrow(/holds 3 values, the data 4/);
  });
});
