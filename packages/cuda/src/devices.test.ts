import { afterEach, describe, expect, it } from 'vitest';
import { deviceSlots, gpuForIndex, TOWERS_ON_ONE_GPU_ENV } from './devices.js';

describe('cuda:N → GPU', () => {
  afterEach(() => {
    delete process.env[TOWERS_ON_ONE_GPU_ENV];
  });

  it('one GPU: cuda:0 and cuda:1 both run on GPU 0 (two streams stand in for two devices)', () => {
    expect(deviceSlots(1)).toBe(2);
    expect(gpuForIndex(0, 1)).toBe(0);
    expect(gpuForIndex(1, 1)).toBe(0);
    expect(() => gpuForIndex(2, 1)).toThrow(/one GPU offers cuda:0 … cuda:1/);
  });

  it('several GPUs: cuda:N is GPU N, unless the towers are forced onto GPU 0', () => {
    expect(deviceSlots(4)).toBe(4);
    expect(gpuForIndex(3, 4)).toBe(3);
    expect(() => gpuForIndex(4, 4)).toThrow(/4 GPUs/);
    process.env[TOWERS_ON_ONE_GPU_ENV] = '1';
    expect(gpuForIndex(1, 2)).toBe(0);
  });

  it('no GPU: no devices', () => {
    expect(deviceSlots(0)).toBe(0);
    expect(() => gpuForIndex(0, 0)).toThrow(/no GPU/);
  });
});
