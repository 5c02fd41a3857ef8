import { describe, expect, it } from 'vitest';
import { ParamBlock, ParamBlocks } from './launch.js';

describe('kernelParams packing', () => {
  it('points entry i of the table at slot i, and writes each kind of value little-endian into its slot', () => {
    const b = new ParamBlock(6);
    try {
      for (let i = 0; i < 6; i++) expect(b.pointerTo(i)).toBe(b.address + BigInt(6 * 8 + i * 8));
      b.setPointer(0, 0x7f12_3456_7890n);
      b.setI32(1, -5);
      b.setU32(2, 0xffff_fff0);
      b.setF32(3, 1.5);
      b.setU64(4, 0x0123_4567_89ab_cdefn);
      b.setPointer(5, 0n);
      expect(b.slot(0)).toBe(0x7f12_3456_7890n);
      expect(Number(b.slot(1) & 0xffff_ffffn)).toBe(0xffff_fffb); // -5 as int32 in the low 4 bytes
      expect(Number(b.slot(2) & 0xffff_ffffn)).toBe(0xffff_fff0);
      const f = new Float32Array(new Uint32Array([Number(b.slot(3) & 0xffff_ffffn)]).buffer)[0];
      expect(f).toBe(1.5);
      expect(b.slot(4)).toBe(0x0123_4567_89ab_cdefn);
      expect(b.slot(5)).toBe(0n);
    } finally {
      b.free();
    }
  });

  it('keeps one block per function, reused across launches and grown for more arguments', () => {
    const blocks = new ParamBlocks();
    try {
      const a = blocks.for('sgemm', 4);
      expect(blocks.for('sgemm', 3)).toBe(a);
      expect(blocks.for('relu', 3)).not.toBe(a);
      const grown = blocks.for('sgemm', 9);
      expect(grown).not.toBe(a);
      expect(grown.capacity).toBe(9);
    } finally {
      blocks.dispose();
    }
  });
});
