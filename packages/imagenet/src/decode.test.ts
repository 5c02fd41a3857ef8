import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_DECODE, type DecodeSettings, decodeImage } from './decode.js';
import { decodeJob } from './decode-job.js';
import { pattern, quadrants, raw, tempDir, writeOddImages } from './test-helpers.js';

const tmp = tempDir('decode');
let odd: { good: string[]; bad: string[] };
const S = 16;
const settings: DecodeSettings = { ...DEFAULT_DECODE, size: S };
const at = (px: Uint8Array, x: number, y: number) => [...px.subarray((y * S + x) * 3, (y * S + x) * 3 + 3)];
const maxDiff = (a: Uint8Array, b: Uint8Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

beforeAll(async () => {
  odd = await writeOddImages(tmp.dir);
});
afterAll(() => tmp.cleanup());

describe('decodeImage', () => {
  it('turns every unusual but valid input into size×size×3 RGB', async () => {
    for (const f of odd.good) {
      const px = await decodeImage(join(tmp.dir, f), settings);
      expect(px.length, f).toBe(S * S * 3);
    }
  });

  it('greyscale becomes R = G = B', async () => {
    const px = await decodeImage(join(tmp.dir, 'grey.JPEG'), settings);
    for (let i = 0; i < S * S; i++) {
      expect(px[3 * i]).toBe(px[3 * i + 1]);
      expect(px[3 * i + 1]).toBe(px[3 * i + 2]);
    }
  });

  it('CMYK becomes RGB close to the original colours', async () => {
    const rgb = await decodeImage(
      await raw(pattern(40, 30, 3), 40, 30, 3)
        .png()
        .toBuffer(),
      settings,
    );
    const cmyk = await decodeImage(join(tmp.dir, 'cmyk.JPEG'), settings);
    // Through a CMYK profile and JPEG: colours survive roughly, not exactly.
    const mean = (a: Uint8Array) => a.reduce((s, v) => s + v, 0) / a.length;
    expect(Math.abs(mean(cmyk) - mean(rgb))).toBeLessThan(25);
  });

  it('alpha is flattened onto white by default, onto the given background otherwise', async () => {
    const white = await decodeImage(join(tmp.dir, 'rgba.png'), settings);
    // Cover-resize of 40×30 to 16: the left quarter is opaque red, the right quarter transparent.
    expect(at(white, 1, 8)).toEqual([255, 0, 0]);
    expect(at(white, 14, 8)).toEqual([255, 255, 255]);
    const black = await decodeImage(join(tmp.dir, 'rgba.png'), { ...settings, background: [0, 0, 0] });
    expect(at(black, 14, 8)).toEqual([0, 0, 0]);
  });

  it('16-bit PNG decodes to the same 8-bit values (±1) as its 8-bit twin; PNG bytes in a .JPEG decode', async () => {
    const eight = await decodeImage(
      await raw(pattern(40, 30, 3), 40, 30, 3)
        .png()
        .toBuffer(),
      settings,
    );
    const deep = await decodeImage(join(tmp.dir, 'deep16.png'), settings);
    expect(maxDiff(eight, deep)).toBeLessThanOrEqual(1);
    const inside = await decodeImage(join(tmp.dir, 'png-inside.JPEG'), settings);
    expect(maxDiff(eight, inside)).toBe(0);
  });

  it('applies the EXIF orientation', async () => {
    // Orientation 6: turn 90° clockwise to show.
    const upright = await decodeImage(
      await raw(quadrants(40, 30), 40, 30, 3).rotate(90).png().toBuffer(),
      settings,
    );
    const tagged = await decodeImage(join(tmp.dir, 'exif-rotated.jpg'), settings);
    const unrotated = await decodeImage(await raw(quadrants(40, 30), 40, 30, 3).png().toBuffer(), settings);
    // JPEG loss only vs the upright image; far from the image that ignored the tag.
    const mean = (a: Uint8Array, b: Uint8Array) =>
      a.reduce((s, v, i) => s + Math.abs(v - b[i]!), 0) / a.length;
    expect(mean(tagged, upright)).toBeLessThan(8);
    expect(mean(tagged, unrotated)).toBeGreaterThan(4 * mean(tagged, upright));
  });

  it('1×1 becomes a solid image; 1000×3 keeps its centre', async () => {
    const one = await decodeImage(join(tmp.dir, 'one-pixel.png'), settings);
    for (let i = 0; i < S * S; i++) expect(at(one, i % S, Math.floor(i / S))).toEqual([10, 200, 30]);
    const wide = await decodeImage(join(tmp.dir, 'wide.jpeg'), { ...settings, size: 8 });
    expect(wide.length).toBe(8 * 8 * 3);
  });

  it('shortest side → size, then the centre square (same as resize + extract)', async () => {
    const src = pattern(64, 32, 3);
    const png = await raw(src, 64, 32, 3).png().toBuffer();
    const px = await decodeImage(png, settings);
    const ref = await sharp(png)
      .resize(32, 16, { kernel: 'lanczos3' })
      .extract({ left: 8, top: 0, width: 16, height: 16 })
      .raw()
      .toBuffer();
    expect(maxDiff(px, ref)).toBeLessThanOrEqual(2);
  });

  it('rejects empty, truncated and non-image files with a reason', async () => {
    const reasons: Record<string, string> = {};
    for (const f of odd.bad) {
      const r = await decodeJob({ file: join(tmp.dir, f), settings });
      expect(r.ok, f).toBe(false);
      if (!r.ok) reasons[f] = r.reason;
    }
    expect(reasons['empty.JPEG']).toBe('empty file');
    expect(reasons['truncated.JPEG']).toMatch(/premature end|truncat/i);
    expect(reasons['text.JPEG']).toMatch(/not a decodable image/);
    const missing = await decodeJob({ file: join(tmp.dir, 'nope.jpg'), settings });
    expect(missing.ok).toBe(false);
    if (!missing.ok) expect(missing.reason).toMatch(/cannot read file/);
  });
});
